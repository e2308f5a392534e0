import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from epcl_mmdet3d.models.layers.linear_max import NormReLU, linear_max


def _groups(num_groups, group_size, channels, ties):
    """(G, K, C) random rows; with ``ties`` some rows repeat and some are all zero, so
    several rows of a group reach the same maximum."""
    x = torch.randn(num_groups, group_size, channels, dtype=torch.float64)
    if ties and group_size > 2:
        x[:, 1] = x[:, 0]  # a duplicated point
        x[::2, 2:group_size // 2 + 2] = 0  # rows with equal (zero) activations
        x[1::3] = x[1::3, :1]  # groups whose K rows are all the same
    return x


def _summed_over_ties(x, grad):
    """(G, K, C) gradient summed over the rows equal to each row of x in its group.

    Where rows tie, which of them wins the max depends on the matmul's rounding (a GEMM
    need not give identical rows identical outputs), in the plain layers as here; the
    sum over the tied rows is what is defined."""
    same = (x.unsqueeze(2) == x.unsqueeze(1)).all(-1).to(grad.dtype)  # (G, K, K)
    return same @ grad


def _eager(x, weight, bias=None, prologue=None):
    num_groups, group_size, channels = x.shape
    if prologue is not None:
        x = prologue(x.reshape(-1, channels)).reshape(num_groups, group_size, channels)
    return F.linear(x, weight, bias).max(dim=1).values


def _outputs_and_grads(fn, x, params, grad_out):
    leaves = [t.detach().clone().requires_grad_() for t in [x] + params]
    out = fn(*leaves)
    out.backward(grad_out)
    return [out.detach()] + [t.grad for t in leaves]


@pytest.mark.parametrize('group_size', [1, 2, 9])
@pytest.mark.parametrize('ties', [False, True])
@pytest.mark.parametrize('with_bias', [True, False])
def test_linear_max_matches_linear_then_max(group_size, ties, with_bias):
    torch.manual_seed(group_size)
    x = _groups(11, group_size, 6, ties)
    weight = torch.randn(5, 6, dtype=torch.float64)
    params = [weight] + ([torch.randn(5, dtype=torch.float64)] if with_bias else [])
    grad_out = torch.randn(11, 5, dtype=torch.float64)
    # chunk_rows below K * G: several chunks, and chunks of one group when K > 3
    fused = _outputs_and_grads(lambda x, *p: linear_max(x, *p, chunk_rows=3), x, params,
                               grad_out)
    eager = _outputs_and_grads(_eager, x, params, grad_out)
    assert len(fused) == len(eager) == 3 + with_bias  # out, x, weight (, bias) gradients
    fused[1], eager[1] = _summed_over_ties(x, fused[1]), _summed_over_ties(x, eager[1])
    for a, b in zip(fused, eager):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_linear_max_float32_and_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(64, 16, 24)
    weight, bias = torch.randn(40, 24), torch.randn(40)
    grad_out = torch.randn(64, 40)
    fused = _outputs_and_grads(linear_max, x, [weight, bias], grad_out)
    eager = _outputs_and_grads(_eager, x, [weight, bias], grad_out)
    for a, b in zip(fused, eager):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    # the backward is the derivative of the forward (distinct values: max is smooth there)
    args = [t.double().requires_grad_() for t in (x[:3, :5, :4], weight[:6, :4], bias[:6])]
    assert torch.autograd.gradcheck(linear_max, args)


@pytest.mark.parametrize('norm_type', ['bn_train', 'bn_eval', 'bn_no_stats', 'bn_no_affine',
                                       'ln', 'ln_no_affine'])
@pytest.mark.parametrize('ties', [False, True])
def test_norm_relu_recomputed_in_backward_matches_eager(norm_type, ties):
    """Outputs, input / weight / bias / norm-affine gradients and the running statistics
    equal those of norm -> ReLU -> linear -> max run as plain layers."""
    torch.manual_seed(1)
    channels = 6
    if norm_type.startswith('ln'):
        norm = nn.LayerNorm(channels, elementwise_affine=norm_type == 'ln')
    else:
        norm = nn.BatchNorm1d(channels, affine=norm_type != 'bn_no_affine',
                              track_running_stats=norm_type != 'bn_no_stats')
        if norm_type == 'bn_eval':
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.5, 2)
            norm.eval()
    norm = norm.double()
    for param in norm.parameters():  # weight and bias away from their 1 and 0
        nn.init.uniform_(param, -0.5, 1.5)
    twin = [norm, copy.deepcopy(norm)]
    x = _groups(10, 7, channels, ties)
    weight, bias = torch.randn(9, channels, dtype=torch.float64), torch.randn(9).double()
    grad_out = torch.randn(10, 9, dtype=torch.float64)
    results = []
    for module, fused in zip(twin, (True, False)):
        relu = lambda t: F.relu(module(t), inplace=True)  # noqa: E731  # as _PointMLP
        if fused:
            def fn(x, w, b):
                return linear_max(x, w, b, NormReLU(module), chunk_rows=20)
        else:
            def fn(x, w, b):
                return _eager(x, w, b, relu)
        results.append(_outputs_and_grads(fn, x, [weight, bias], grad_out)
                       + [p.grad.clone() for p in module.parameters()]
                       + [b.clone() for b in module.buffers()])
        results[-1][1] = _summed_over_ties(x, results[-1][1])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    assert len(results[0]) == 4 + len(list(norm.parameters())) + len(list(norm.buffers()))
    if norm_type == 'bn_train':  # running statistics updated once, as by the plain layer
        assert norm.num_batches_tracked.item() == 1


def test_norm_relu_keeps_only_the_norm_input():
    """With the prologue, backward keeps x (and the winners' indices), not ReLU(norm(x))."""
    torch.manual_seed(0)
    norm = nn.BatchNorm1d(8)
    x = torch.randn(4, 5, 8, requires_grad=True)
    weight, bias = torch.randn(3, 8, requires_grad=True), torch.randn(3, requires_grad=True)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t,
                                                  lambda t: t):
        out = linear_max(x, weight, bias, NormReLU(norm))
    big = [t for t in saved if t.numel() >= x.numel()]
    assert len(big) == 1 and big[0].data_ptr() == x.data_ptr()
    out.sum().backward()
    assert x.grad.shape == x.shape and norm.weight.grad.shape == (8,)


def test_clear_errors():
    with pytest.raises(ValueError, match=r'x of shape \(G, K, 4\)'):
        linear_max(torch.rand(2, 3, 5), torch.rand(6, 4))
    with pytest.raises(TypeError, match='GroupNorm'):
        NormReLU(nn.GroupNorm(2, 4))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    """The Function on a GPU (embedding_bag, max with out=, native norms there) against
    the same Function on the CPU, with the norm prologue and BatchNorm in train mode."""
    torch.manual_seed(0)
    x = torch.randn(32, 16, 24)
    weight, bias = torch.randn(40, 24), torch.randn(40)
    grad_out = torch.randn(32, 40)
    results = []
    for device in ('cpu', 'cuda'):
        norm = nn.BatchNorm1d(24).to(device)
        torch.manual_seed(1)
        for param in norm.parameters():
            nn.init.uniform_(param, -0.5, 1.5)

        def fn(x, w, b):
            return linear_max(x, w, b, NormReLU(norm), chunk_rows=64)

        tensors = [t.to(device) for t in (x, weight, bias)]
        out = _outputs_and_grads(fn, tensors[0], tensors[1:], grad_out.to(device))
        results.append([t.cpu() for t in out + [p.grad for p in norm.parameters()]
                        + [norm.running_mean, norm.running_var]])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
