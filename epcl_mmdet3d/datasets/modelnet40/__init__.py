"""ModelNet40 on-disk layout, points cache, few-shot folds and a synthetic generator."""
from .few_shot_folds import (FEW_SHOT_SETTINGS, fold_file_name, make_fold,
                             make_setting_folds, read_fold, write_fold)
from .layout import (load_shape_points, read_shape_names, read_split,
                     shape_class, shape_path, split_file)
from .points_cache import cache_file_name, read_points_cache, write_points_cache
from .synthetic_dataset import sample_synthetic_shape, write_synthetic_modelnet
from .synthetic_shapes import SHAPE_SAMPLERS

__all__ = [
    'FEW_SHOT_SETTINGS', 'fold_file_name', 'make_fold', 'make_setting_folds',
    'read_fold', 'write_fold', 'load_shape_points', 'read_shape_names',
    'read_split', 'shape_class', 'shape_path', 'split_file', 'cache_file_name',
    'read_points_cache', 'write_points_cache', 'sample_synthetic_shape',
    'write_synthetic_modelnet', 'SHAPE_SAMPLERS'
]
