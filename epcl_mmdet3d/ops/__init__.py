from .furthest_point_sample import (furthest_point_sample,
                                    furthest_point_sample_reference)
from .gather import gather_points
from .knn import knn_query, knn_query_reference

__all__ = [
    'furthest_point_sample', 'furthest_point_sample_reference', 'gather_points',
    'knn_query', 'knn_query_reference'
]
