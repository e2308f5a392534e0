from .class_name_embeddings import DEFAULT_TEMPLATES, encode_class_names
from .class_names_mixin import ClassNamesMixin
from .point_inputs import points_as_float32, points_as_list, stack_points

__all__ = ['ClassNamesMixin', 'DEFAULT_TEMPLATES', 'encode_class_names', 'points_as_float32',
           'points_as_list', 'stack_points']
