"""EPCL for mmdetection3d: a frozen CLIP transformer as a point cloud backbone.

Importing the package registers its modules in mmdet3d's registries and lets
torch's weights-only loading read full mmengine checkpoints.
"""
from . import engine, layers, models, ops  # noqa: F401
from . import datasets, evaluation, visualization  # noqa: F401
from .engine import allow_mmengine_checkpoints

__version__ = '0.1.0'

allow_mmengine_checkpoints()
