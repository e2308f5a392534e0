from .furthest_point_sample import (furthest_point_sample,
                                    furthest_point_sample_reference)
from .gather import gather_points
from .knn import knn_query, knn_query_reference
from .three_interpolate import (three_interpolate, three_nn, three_nn_interpolate,
                                three_nn_interpolate_reference)

__all__ = [
    'furthest_point_sample', 'furthest_point_sample_reference', 'gather_points',
    'knn_query', 'knn_query_reference'
]
__all__ += [
    'three_interpolate', 'three_nn', 'three_nn_interpolate',
    'three_nn_interpolate_reference'
]
