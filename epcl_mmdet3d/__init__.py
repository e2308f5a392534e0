"""EPCL for mmdetection3d: a frozen CLIP transformer as a point cloud backbone.

Importing the package registers its modules in mmdet3d's registries and lets
torch's weights-only loading read full mmengine checkpoints.
"""
from . import datasets, engine, evaluation, models, ops, visualization  # noqa: F401
from .engine import allow_mmengine_checkpoints
from .ops import install_mmcv_cpu_fallback

__version__ = '0.1.0'
__all__ = [
    'allow_mmengine_checkpoints', 'datasets', 'engine', 'evaluation', 'models', 'ops',
    'visualization'
]

allow_mmengine_checkpoints()
# mmcv's PointNet++ ops (FPS, ball query, grouping, interpolation, points in boxes)
# get a CPU branch, so mmdet3d's point-based models run on a CPU; CUDA is unchanged
install_mmcv_cpu_fallback()
