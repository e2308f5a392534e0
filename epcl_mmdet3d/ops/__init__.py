"""Sampling ops with one contract on CPU (own kernels) and CUDA (mmcv), beside references."""
from .ball_query import ball_query, ball_query_reference
from .furthest_point_sample import furthest_point_sample, furthest_point_sample_reference
from .knn import gather_points, knn_query, knn_query_reference
from .mmcv_cpu_fallback import install_mmcv_cpu_fallback
from .three_interpolate import (
                                three_interpolate,
                                three_nn,
                                three_nn_interpolate,
                                three_nn_interpolate_reference,
)

__all__ = [
    'ball_query', 'ball_query_reference', 'furthest_point_sample',
    'furthest_point_sample_reference', 'gather_points', 'install_mmcv_cpu_fallback', 'knn_query',
    'knn_query_reference', 'three_interpolate', 'three_nn', 'three_nn_interpolate',
    'three_nn_interpolate_reference'
]
