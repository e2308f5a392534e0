"""Synthetic data sets for demos and tests, written in the real data sets' on-disk layouts.

One module per data set (``scannet``, ``sunrgbd``, ``s3dis`` + ``s3dis_writer``, ``modelnet40`` +
``modelnet40_shapes``), all built on one box-surface sampler (``box_surface``); the
command-line front ends are ``tools/synthetic_data/create_synthetic_*.py``.
"""
from .box_surface import sample_box_surface
from .modelnet40 import create_synthetic_modelnet40, sample_synthetic_shape
from .modelnet40_shapes import SHAPE_SAMPLERS
from .s3dis import S3DIS_CLASSES, SyntheticRoom, generate_room
from .s3dis_writer import create_synthetic_s3dis, scene_idxs_and_label_weight, write_s3dis_area
from .scannet import DEMO_CLASSES, SCANNET_DET_CLASSES, create_synthetic_scannet, make_scene
from .sunrgbd import (
    SUNRGBD_CLASSES,
    SUNRGBD_DEMO_CLASSES,
    create_synthetic_sunrgbd,
    make_sunrgbd_scene,
)

__all__ = [
    'DEMO_CLASSES', 'S3DIS_CLASSES', 'SCANNET_DET_CLASSES', 'SHAPE_SAMPLERS',
    'SUNRGBD_CLASSES', 'SUNRGBD_DEMO_CLASSES', 'SyntheticRoom', 'create_synthetic_modelnet40',
    'create_synthetic_s3dis', 'create_synthetic_scannet', 'create_synthetic_sunrgbd',
    'generate_room', 'make_scene', 'make_sunrgbd_scene', 'sample_box_surface',
    'sample_synthetic_shape', 'scene_idxs_and_label_weight', 'write_s3dis_area'
]
