"""write_points_cache refuses any length mismatch (the check was once a chained `!=`)."""
import numpy as np
import pytest

from epcl_mmdet3d.datasets.modelnet40.points_cache import read_points_cache, write_points_cache


@pytest.mark.parametrize('num_labels,num_ids', [(3, 2), (2, 2), (2, 3)])
def test_any_length_mismatch_is_refused(tmp_path, num_labels, num_ids):
    # (3, 2) and (2, 2) got through the chained `S != len(labels) != len(ids)`
    points = np.zeros((3, 8, 6), np.float32)
    with pytest.raises(ValueError, match='S == len\\(labels\\) == len\\(shape_ids\\)'):
        write_points_cache(str(tmp_path / 'c.npz'), points, [0] * num_labels,
                           [f's{i}' for i in range(num_ids)], ['a'], 'first')
    assert not (tmp_path / 'c.npz').exists()


def test_matching_lengths_round_trip(tmp_path):
    points = np.random.default_rng(0).random((3, 8, 6)).astype(np.float32)
    path = str(tmp_path / 'c.npz')
    write_points_cache(path, points, [0, 1, 0], ['a_1', 'b_1', 'a_2'], ['a', 'b'], 'fps')
    cache = read_points_cache(path)
    np.testing.assert_array_equal(cache['points'], points)
    assert cache['labels'].tolist() == [0, 1, 0]
    assert cache['shape_ids'].tolist() == ['a_1', 'b_1', 'a_2']
    assert str(cache['sampling']) == 'fps'
