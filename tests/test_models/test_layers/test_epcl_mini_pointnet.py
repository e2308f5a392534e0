import copy

import pytest
import torch
from mmdet3d.registry import MODELS

from epcl_mmdet3d.models.layers import EPCLMiniPointNet


@pytest.mark.parametrize('norm', ['BN1d', 'LN'])
def test_mini_pointnet(norm):
    net = EPCLMiniPointNet(6, 32, (16, 24), norm_cfg=dict(type=norm))
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
    net = EPCLMiniPointNet(4, 48, (16, 24), norm_cfg=dict(type=norm)).train()
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


def test_built_from_a_config_with_clear_width_errors():
    net = MODELS.build(dict(type='EPCLMiniPointNet', in_channels=3, out_channels=16,
                            hidden_channels=(8, 12)))
    assert isinstance(net, EPCLMiniPointNet) and net(torch.rand(1, 2, 4, 3)).shape == (1, 2, 16)
    with pytest.raises(ValueError, match='two hidden_channels'):
        EPCLMiniPointNet(3, 16, hidden_channels=(8, 12, 16))


@pytest.mark.parametrize('norm', ['BN1d', 'LN', 'GN'])
@pytest.mark.parametrize('group_size', [1, 7])
@pytest.mark.parametrize('recompute_norm', [True, False])
def test_fused_max_matches_the_plain_layers(norm, group_size, recompute_norm):
    """fused_max (linear + max in one Function, norm -> ReLU recomputed or not) gives the
    plain layers' output, input and parameter gradients and running statistics, also
    with tied maxima (repeated points, as kNN gives when a cloud has fewer than K).
    Which of the repeated points wins a max depends on rounding, in the plain layers
    too, so their input gradient is compared summed over the repeats."""
    torch.manual_seed(group_size)
    norm_cfg = dict(type='GN', num_groups=4) if norm == 'GN' else dict(type=norm)
    fused = EPCLMiniPointNet(4, 40, (16, 24), norm_cfg=norm_cfg,
                             recompute_norm=recompute_norm).double()
    plain = copy.deepcopy(fused)
    plain.fused_max = False
    groups = torch.randn(3, 5, group_size, 4, dtype=torch.float64)
    groups[:, :, group_size // 2:] = groups[:, :, :1]  # ties inside each group
    weights = torch.randn(3, 5, 40, dtype=torch.float64)
    for train in (True, False):
        results = []
        for net in (fused, plain):
            net.train(train)
            x = groups.clone().requires_grad_()
            out = net(x)
            (out * weights).sum().backward()
            tied = x.grad[:, :, group_size // 2:].sum(2) + x.grad[:, :, :1].sum(2)
            untied = x.grad[:, :, 1:group_size // 2]
            results.append([out, tied, untied] + [p.grad.clone() for p in net.parameters()]
                           + [b.clone() for b in net.buffers()])
            net.zero_grad()
        assert len(results[0]) == len(results[1]) > 3 + 10
        for a, b in zip(*results):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_fused_max_under_autocast_runs_the_plain_layers():
    torch.manual_seed(0)
    net = EPCLMiniPointNet(3, 16, (8, 12)).eval()
    plain = copy.deepcopy(net)
    plain.fused_max = False
    x = torch.rand(2, 3, 5, 3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out, ref = net(x), plain(x)
    assert out.dtype == torch.bfloat16 and torch.equal(out, ref)
