"""Inference on a user's own point files, through mmdet3d's inference API."""
from .inference import (
    BOX_LAYOUT,
    infer_point_file,
    parse_class_names,
    prediction_to_dict,
    set_model_classes,
)
from .point_files import (
    POINT_FILE_SUFFIXES,
    check_point_extent,
    fit_points_to_config,
    order_named_columns,
    pipeline_point_dims,
    read_point_file,
)

__all__ = [
    'BOX_LAYOUT', 'POINT_FILE_SUFFIXES', 'check_point_extent', 'fit_points_to_config',
    'infer_point_file', 'order_named_columns', 'parse_class_names', 'pipeline_point_dims',
    'prediction_to_dict', 'read_point_file', 'set_model_classes'
]
