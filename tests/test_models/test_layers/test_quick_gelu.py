import pytest
import torch
from open_clip.transformer import QuickGELU

from epcl_mmdet3d.models.layers.quick_gelu import quick_gelu


def _saved_bytes(fn, x):
    """Bytes of the distinct storages autograd keeps for backward of fn(x)."""
    storages = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(x)
    return out, sum(storages.values())


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16, torch.float64])
def test_same_numbers_as_open_clip(dtype):
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(32, 96, generator=gen) * 4).to(dtype).requires_grad_()
    grad = torch.randn(32, 96, generator=gen).to(dtype)
    ref = QuickGELU()(x)
    out = quick_gelu(x)
    assert torch.equal(out, ref)
    assert torch.equal(torch.autograd.grad(out, x, grad)[0],
                       torch.autograd.grad(ref, x, grad)[0])


def test_keeps_only_its_input():
    x = torch.randn(16, 64, requires_grad=True)
    _, ours = _saved_bytes(quick_gelu, x)
    _, plain = _saved_bytes(QuickGELU(), x)
    assert ours == x.numel() * x.element_size()
    assert plain >= 2 * ours  # x, 1.702 x and the sigmoid (the input may be shared)


def test_without_grad_runs_plainly():
    x = torch.randn(4, 8)
    assert torch.equal(quick_gelu(x), QuickGELU()(x))
    with torch.no_grad():
        y = quick_gelu(x.requires_grad_())
    assert not y.requires_grad and torch.equal(y, QuickGELU()(x))


@pytest.mark.cuda
@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_same_numbers_as_open_clip_on_cuda(dtype):
    x = (torch.randn(32, 96, device='cuda') * 4).to(dtype).requires_grad_()
    grad = torch.randn(32, 96, device='cuda').to(dtype)
    ref = QuickGELU()(x)
    out = quick_gelu(x)
    assert torch.equal(out, ref)
    assert torch.equal(torch.autograd.grad(out, x, grad)[0],
                       torch.autograd.grad(ref, x, grad)[0])
