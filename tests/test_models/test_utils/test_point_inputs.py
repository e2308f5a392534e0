"""Point dtypes, containers and coordinate ranges the models accept, convert or refuse."""
import pytest
import torch

from epcl_mmdet3d.models.utils import points_as_float32, points_as_list, stack_points
from epcl_mmdet3d.ops import knn_query
from epcl_mmdet3d.ops._validation import MAX_ABS_COORDINATE, check_xyz


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16, torch.float64])
def test_floating_points_become_float32(dtype):
    points = torch.rand(10, 3).to(dtype)
    assert points_as_float32(points).dtype == torch.float32
    assert stack_points([points, points], 'X').dtype == torch.float32


@pytest.mark.parametrize('dtype', [torch.int32, torch.int64, torch.bool])
def test_integer_points_are_refused(dtype):
    with pytest.raises(TypeError, match='floating point coordinates.*convert them'):
        stack_points([torch.zeros(10, 3, dtype=dtype)], 'X')


def test_containers():
    cloud = torch.rand(10, 3)
    assert stack_points(cloud[None], 'X').shape == (1, 10, 3)  # a (B, N, C) batch
    assert [p.shape for p in points_as_list(torch.rand(2, 10, 3))] == [(10, 3), (10, 3)]
    with pytest.raises(ValueError, match=r'one tensor of shape \(10, 3\).*pass \[points\] '
                                         r'or points\[None\]'):
        stack_points(cloud, 'X')
    with pytest.raises(TypeError, match='list of'):
        points_as_list(cloud.numpy())
    with pytest.raises(ValueError, match='different shapes.*PointSample'):
        stack_points([cloud, torch.rand(9, 3)], 'PointSample')


def test_coordinate_range():
    cloud = torch.rand(1, 256, 3)
    # inside the range the maths holds, kNN still agrees with float64
    big = cloud * MAX_ABS_COORDINATE
    _, idx = knn_query(big[:, :16], big, 8)
    ref = torch.cdist(big[:, :16].double(), big.double()).topk(8, largest=False).indices
    assert torch.equal(idx.sort(-1).values, ref.sort(-1).values)
    with pytest.raises(ValueError, match=r'magnitude 2e\+18 \(sample 0, point 7\); squared '
                                         r'distances overflow float32'):
        huge = cloud.clone()
        huge[0, 7, 1] = 2e18
        check_xyz(huge)
