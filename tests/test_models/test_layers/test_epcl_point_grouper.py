import pytest
import torch

from epcl_mmdet3d.models.layers import MiniPointNet, PointGrouper
from epcl_mmdet3d.ops import knn_query


def test_groups_are_relative_to_centres():
    torch.manual_seed(0)
    xyz = torch.rand(2, 64, 3)
    colour = torch.rand(2, 64, 3)
    out = PointGrouper(8, 5)(xyz, colour)
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
        PointGrouper(16, 4)(torch.rand(1, 10, 3))


@pytest.mark.parametrize('norm', ['BN1d', 'LN'])
def test_mini_pointnet(norm):
    net = MiniPointNet(6, 32, (16, 24), norm_cfg=dict(type=norm))
    x = torch.rand(2, 5, 7, 6, requires_grad=True)
    y = net(x)
    assert y.shape == (2, 5, 32)
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    # permuting the points inside a group does not change its feature
    net.eval()
    perm = torch.randperm(7)
    assert torch.allclose(net(x), net(x[:, :, perm]), atol=1e-6)
    with pytest.raises(ValueError, match='expects 6 channels'):
        net(torch.rand(2, 5, 7, 3))


@pytest.mark.parametrize('norm', ['BN1d', 'LN'])
def test_mini_pointnet_split_first_layer_matches_concatenation(norm):
    """The second MLP's first layer applied to the pooled half once per group gives
    what the written-out [pooled ; x] concatenation gives, also for the gradients."""
    torch.manual_seed(0)
    net = MiniPointNet(4, 48, (16, 24), norm_cfg=dict(type=norm)).train()
    groups = torch.randn(3, 5, 7, 4, requires_grad=True)

    def concatenated(g):  # the textbook form
        x = net.first(g)  # (B, M, K, C1)
        pooled = x.max(dim=2, keepdim=True).values  # (B, M, 1, C1)
        x = torch.cat([pooled.expand_as(x), x], dim=-1)  # (B, M, K, 2 * C1)
        return net.second(x).max(dim=2).values  # (B, M, C_out)

    weights = torch.randn(3, 5, 48)
    outs, grads = [], []
    for fn in (net, concatenated):
        out = fn(groups)
        (out * weights).sum().backward()
        outs.append(out)
        grads.append([groups.grad.clone()] + [p.grad.clone() for p in net.parameters()])
        groups.grad = None
        net.zero_grad()
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4)
