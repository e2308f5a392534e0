from .point_inputs import points_as_float32, points_as_list, stack_points

__all__ = ['points_as_float32', 'points_as_list', 'stack_points']
