import pytest
import torch

from epcl_mmdet3d.models.layers import EPCLPointGrouper
from epcl_mmdet3d.ops import knn_query


def test_groups_are_relative_to_centres():
    torch.manual_seed(0)
    xyz = torch.rand(2, 64, 3)
    colour = torch.rand(2, 64, 3)
    out = EPCLPointGrouper(8, 5)(xyz, colour)
    assert out['groups'].shape == (2, 8, 5, 6)
    assert out['centers'].shape == (2, 8, 3)
    # the nearest neighbour of a centre is the centre itself, at relative (0, 0, 0)
    assert torch.equal(out['group_idx'][..., 0], out['center_idx'])
    assert torch.allclose(out['groups'][:, :, 0, :3], torch.zeros(2, 8, 3))
    b, m, k = 1, 3, 4
    j = out['group_idx'][b, m, k]
    assert torch.allclose(out['groups'][b, m, k, :3], xyz[b, j] - out['centers'][b, m])
    assert torch.equal(out['groups'][b, m, k, 3:], colour[b, j])
    _, ref = knn_query(out['centers'], xyz, 5)
    assert torch.equal(out['group_idx'], ref)


def test_too_few_points():
    with pytest.raises(ValueError, match='got 10 points per cloud.*at least 16'):
        EPCLPointGrouper(16, 4)(torch.rand(1, 10, 3))
