"""Ball query: mmcv's rule by hand, the compiled CPU kernel against the torch reference."""
import pytest
import torch

from epcl_mmdet3d.ops import ball_query, ball_query_reference


def _line():
    # points on the x axis at 0, 1, 2, 3, 0.5 (stored in that order)
    xyz = torch.tensor([[[0., 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [0.5, 0, 0]]])
    return xyz


@pytest.mark.parametrize('fn', [ball_query, ball_query_reference])
def test_hand_worked(fn):
    xyz = _line()
    centers = torch.tensor([[[0., 0, 0], [10, 0, 0], [2.9, 0, 0]]])
    idx = fn(centers, xyz, 1.05, 4)
    assert idx.dtype == torch.int64 and idx.shape == (1, 3, 4)
    # centre 0: points 0, 1, 4 inside (stored order); the 4th slot repeats the first
    assert idx[0, 0].tolist() == [0, 1, 4, 0]
    # an empty ball keeps index 0 everywhere
    assert idx[0, 1].tolist() == [0, 0, 0, 0]
    # centre at 2.9: points 2 and 3
    assert idx[0, 2].tolist() == [2, 3, 2, 2]
    # a full ball stops at sample_num, in stored order
    assert fn(centers[:, :1], xyz, 5.0, 2)[0, 0].tolist() == [0, 1]


@pytest.mark.parametrize('fn', [ball_query, ball_query_reference])
def test_min_radius_keeps_the_centre_itself(fn):
    xyz = _line()
    centers = torch.tensor([[[0., 0, 0]]])
    # shell [0.9, 2.5): points 1 and 2, plus point 0 at distance 0 (mmcv keeps d2 == 0)
    assert fn(centers, xyz, 2.5, 3, min_radius=0.9)[0, 0].tolist() == [0, 1, 2]


def test_kernel_matches_reference():
    gen = torch.Generator().manual_seed(0)
    xyz = torch.rand(2, 300, 3, generator=gen)
    centers = xyz[:, :40].clone()
    for radius, num in ((0.1, 8), (0.3, 16), (2.0, 5)):
        assert torch.equal(ball_query(centers, xyz, radius, num),
                           ball_query_reference(centers, xyz, radius, num))


def test_bad_input():
    xyz = _line()
    with pytest.raises(ValueError, match='min_radius < max_radius'):
        ball_query(xyz, xyz, 0.5, 4, min_radius=0.5)
    with pytest.raises(ValueError, match='batch size'):
        ball_query(xyz.expand(2, -1, -1), xyz, 0.5, 4)
