"""FrozenCLIPBackbone under autocast (a bf16 tower is not re-cast) and with_cp."""
import pytest
import torch
from mmdet3d.registry import MODELS
from torch.utils._python_dispatch import TorchDispatchMode

import epcl_mmdet3d  # noqa: F401


class _CastCounter(TorchDispatchMode):
    """Counts dtype casts (aten._to_copy) whose source is one of ``tensors``."""

    def __init__(self, tensors):
        super().__init__()
        self.ptrs = {t.data_ptr() for t in tensors}
        self.casts = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._to_copy.default and args[0].data_ptr() in self.ptrs:
            self.casts += 1
        return func(*args, **(kwargs or {}))


def _inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(2, 12, 64, generator=gen), torch.randn(2, 12, 64, generator=gen),
            torch.randn(2, 3, 64, generator=gen))


@pytest.mark.parametrize('frozen_dtype, recasts', [('bfloat16', False), ('float32', True)])
def test_autocast_does_not_recast_a_bf16_tower(tiny_clip_cfg, frozen_dtype, recasts):
    clip = MODELS.build(dict(tiny_clip_cfg, frozen_dtype=frozen_dtype,
                            frozen_dtype_policy='force'))  # bf16 on any CPU
    weights = [p for p in clip.visual.parameters() if p.dim() == 2]
    tokens, pos, task = _inputs()
    tokens.requires_grad_(True)
    counter = _CastCounter(weights)
    with torch.autocast('cpu', dtype=torch.bfloat16), counter:
        out = clip(tokens, pos, task)
    # a float32 frozen tower is re-cast on every call (autocast caches only casts of
    # weights that require grad): the reason to store it in bf16
    assert (counter.casts > 0) == recasts
    if frozen_dtype == 'bfloat16':  # runs as stored: the numbers do not change
        assert torch.equal(out, clip(tokens, pos, task))
    out.sum().backward()
    assert tokens.grad is not None and torch.isfinite(tokens.grad).all()


@pytest.mark.parametrize('frozen', [True, False])
def test_with_cp_gives_the_same_outputs_and_gradients(tiny_clip_cfg, frozen):
    torch.manual_seed(0)
    plain = MODELS.build(dict(tiny_clip_cfg, frozen=frozen))
    ckpt = MODELS.build(dict(tiny_clip_cfg, frozen=frozen, with_cp=True))
    ckpt.load_state_dict(plain.state_dict())
    results = []
    for clip in (plain, ckpt):
        tokens, pos, task = _inputs(1)
        tokens.requires_grad_(True)
        pos.requires_grad_(True)
        out = clip(tokens, pos, task)
        (out * torch.linspace(-1, 1, out.shape[-1])).sum().backward()
        weight_grads = [p.grad for p in clip.visual.parameters() if p.grad is not None]
        results.append((out, tokens.grad, pos.grad, weight_grads))
    (out0, tg0, pg0, wg0), (out1, tg1, pg1, wg1) = results
    assert torch.allclose(out0, out1, atol=1e-6)
    assert torch.allclose(tg0, tg1, atol=1e-6) and torch.allclose(pg0, pg1, atol=1e-6)
    assert len(wg0) == len(wg1)
    assert (len(wg0) == 0) == frozen  # the unfrozen tower's blocks get weight gradients
    for a, b in zip(wg0, wg1):
        assert torch.allclose(a, b, atol=1e-5)
