from .mini_pointnet import MiniPointNet
from .point_grouper import PointGrouper

__all__ = ['MiniPointNet', 'PointGrouper']
