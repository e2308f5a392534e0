"""EPCL for mmdetection3d: a frozen CLIP transformer as a point cloud backbone.

Importing the package registers its modules in mmdet3d's registries, lets torch's
weights-only loading read full mmengine checkpoints, and lets mmengine resolve
``'epcl_mmdet3d::<config>'`` paths to the configs shipped with the package.
"""
from . import apis, datasets, engine, evaluation, models, ops, utils, visualization  # noqa: F401
from .engine import allow_mmengine_checkpoints
from .utils import register_config_scope

__version__ = '0.1.0'
__all__ = [
    'allow_mmengine_checkpoints', 'apis', 'datasets', 'engine', 'evaluation', 'models', 'ops',
    'register_config_scope', 'utils', 'visualization'
]

allow_mmengine_checkpoints()
register_config_scope()
