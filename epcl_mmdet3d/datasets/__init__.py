"""Data sets, transforms and synthetic data generators."""
from .epcl_modelnet40_dataset import EPCLModelNet40Dataset
from .s3dis_synthetic import create_demo_s3dis, generate_room
from .synthetic import (DEMO_CLASSES, SCANNET_DET_CLASSES,
                        create_scannet_like_dataset, make_scene)
from .transforms import (EPCLNormalizeUnitSphere, EPCLPackClsInputs,
                         EPCLPointSample, EPCLRandomCuboidCrop,
                         EPCLScaleTranslate)

__all__ = ['create_demo_s3dis', 'generate_room']
__all__ += [
    'EPCLModelNet40Dataset', 'EPCLNormalizeUnitSphere', 'EPCLPackClsInputs',
    'EPCLPointSample', 'EPCLScaleTranslate'
]
__all__ += [
    'DEMO_CLASSES', 'EPCLRandomCuboidCrop', 'SCANNET_DET_CLASSES',
    'create_scannet_like_dataset', 'make_scene'
]
