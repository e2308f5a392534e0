from .synthetic import (DEMO_CLASSES, SCANNET_DET_CLASSES,
                        create_scannet_like_dataset, make_scene)
from .transforms import EPCLRandomCuboidCrop

__all__ = [
    'DEMO_CLASSES', 'EPCLRandomCuboidCrop', 'SCANNET_DET_CLASSES',
    'create_scannet_like_dataset', 'make_scene'
]
