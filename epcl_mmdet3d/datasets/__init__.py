"""Data sets and transforms; synthetic demo/test data sets live in ``synthetic``."""
from . import synthetic
from .epcl_modelnet40_dataset import EPCLModelNet40Dataset
from .transforms import (
                         EPCLNormalizeUnitSphere,
                         EPCLPackClsInputs,
                         EPCLPointSample,
                         EPCLRandomCuboidCrop,
                         EPCLScaleTranslate,
)

__all__ = [
    'EPCLModelNet40Dataset', 'EPCLNormalizeUnitSphere', 'EPCLPackClsInputs', 'EPCLPointSample',
    'EPCLRandomCuboidCrop', 'EPCLScaleTranslate', 'synthetic'
]
