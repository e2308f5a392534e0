from .scannet_like import (DEMO_CLASSES, SCANNET_DET_CLASSES,
                           create_scannet_like_dataset, make_scene)

__all__ = [
    'DEMO_CLASSES', 'SCANNET_DET_CLASSES', 'create_scannet_like_dataset',
    'make_scene'
]
