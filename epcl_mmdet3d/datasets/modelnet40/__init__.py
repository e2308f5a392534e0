"""ModelNet40 on disk: the file layout, the points cache and the few-shot folds."""
from .few_shot_folds import (
                             FEW_SHOT_SETTINGS,
                             fold_file_name,
                             make_fold,
                             make_setting_folds,
                             read_fold,
                             write_fold,
)
from .layout import (
                             load_shape_points,
                             read_shape_names,
                             read_split,
                             shape_class,
                             shape_path,
                             split_file,
)
from .points_cache import cache_file_name, read_points_cache, write_points_cache

__all__ = [
    'FEW_SHOT_SETTINGS', 'cache_file_name', 'fold_file_name', 'load_shape_points',
    'make_fold', 'make_setting_folds', 'read_fold', 'read_points_cache', 'read_shape_names',
    'read_split', 'shape_class', 'shape_path', 'split_file', 'write_fold', 'write_points_cache'
]
