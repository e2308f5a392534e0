"""Inference on a user's own point files, through mmdet3d's inference API."""
from .inference import infer_point_file, prediction_to_dict
from .point_files import (
    POINT_FILE_SUFFIXES,
    fit_points_to_config,
    pipeline_point_dims,
    read_point_file,
)

__all__ = [
    'POINT_FILE_SUFFIXES', 'fit_points_to_config', 'infer_point_file', 'pipeline_point_dims',
    'prediction_to_dict', 'read_point_file'
]
