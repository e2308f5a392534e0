from .stack_points import stack_points

__all__ = ['stack_points']
