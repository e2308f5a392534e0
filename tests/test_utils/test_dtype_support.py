"""resolve_dtype: reduced precision only where this machine runs it fast, else float32
with one warning (capability check and timing simulated, and the real probe run once)."""
import warnings

import pytest
import torch
from mmdet3d.registry import MODELS

from epcl_mmdet3d.engine import EPCLAmpOptimWrapper
from epcl_mmdet3d.utils import SlowDtypeWarning, resolve_dtype
from epcl_mmdet3d.utils.dtype_support import (
                                               DtypeSupport,
                                               probe_dtype_support,
                                               reset_dtype_support_cache,
                                               sdpa_backend,
)


def _slow_warnings(record):
    return [w for w in record if issubclass(w.category, SlowDtypeWarning)]


def test_without_native_bf16_falls_back_to_fp32_once(simulate_dtype_support):
    simulate_dtype_support(native=False, cost_ratio=57.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        assert resolve_dtype('bfloat16', 'cpu', requested_by="frozen_dtype='bfloat16'") \
            == torch.float32
        assert resolve_dtype(torch.bfloat16, 'cpu') == torch.float32  # asked again
    slow = _slow_warnings(record)
    assert len(slow) == 1
    msg = str(slow[0].message)
    assert "frozen_dtype='bfloat16'" in msg and 'no native' in msg
    assert '57.0x the float32 time' in msg and "policy='force'" in msg


def test_native_but_measured_slow_falls_back(simulate_dtype_support):
    simulate_dtype_support(native=True, cost_ratio=3.0)
    with pytest.warns(SlowDtypeWarning, match='3.0x'):
        assert resolve_dtype('float16', 'cpu') == torch.float32


def test_fast_dtype_and_force_are_kept(simulate_dtype_support):
    simulate_dtype_support(native=True, cost_ratio=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter('error', SlowDtypeWarning)
        assert resolve_dtype('bfloat16', 'cpu') == torch.bfloat16
        simulate_dtype_support(native=False, cost_ratio=50.0)
        assert resolve_dtype('bfloat16', 'cpu', policy='force') == torch.bfloat16
        assert resolve_dtype('float32', 'cpu') == torch.float32  # never probed


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='policy must be one of'):
        resolve_dtype('bfloat16', 'cpu', policy='always')
    with pytest.raises(ValueError, match='unknown dtype'):
        resolve_dtype('bf16', 'cpu')
    with pytest.raises(ValueError, match='only float32, bfloat16 and float16'):
        resolve_dtype(torch.float64, 'cpu')


@pytest.mark.parametrize('native, policy, expected', [
    (False, 'auto', torch.float32), (True, 'auto', torch.bfloat16),
    (False, 'force', torch.bfloat16)])
def test_frozen_clip_backbone_stores_the_resolved_dtype(tiny_clip_cfg, simulate_dtype_support,
                                                        native, policy, expected):
    simulate_dtype_support(native=native, cost_ratio=0.5 if native else 50.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        clip = MODELS.build(dict(tiny_clip_cfg, frozen_dtype='bfloat16',
                                 frozen_dtype_policy=policy))
    assert clip.weight_dtype == expected
    assert clip.visual.class_embedding.dtype == expected
    assert len(_slow_warnings(record)) == (1 if expected == torch.float32 else 0)
    tokens = torch.rand(2, 5, 64, requires_grad=True)
    clip(tokens, torch.rand(2, 5, 64)).sum().backward()
    assert torch.isfinite(tokens.grad).all()


@pytest.mark.parametrize('native, policy, expected', [
    (False, 'auto', torch.float32), (True, 'auto', torch.bfloat16),
    (False, 'force', torch.bfloat16)])
def test_cpu_amp_wrapper_autocasts_only_where_fast(simulate_dtype_support, native, policy,
                                                   expected):
    simulate_dtype_support(native=native, cost_ratio=0.5 if native else 50.0)
    layer = torch.nn.Linear(4, 2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        wrapper = EPCLAmpOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=0.1),
                                      dtype_policy=policy)
    assert wrapper.cast_dtype == expected
    assert len(_slow_warnings(record)) == (1 if expected == torch.float32 else 0)
    with wrapper.optim_context(layer):
        out = layer(torch.rand(3, 4))
    assert out.dtype == expected


def test_the_real_probe_answers_and_is_cached():
    """Whatever this machine is: a decision with a reason and a measured ratio, once."""
    reset_dtype_support_cache()
    try:
        found = probe_dtype_support('cpu', torch.bfloat16)
        assert isinstance(found, DtypeSupport) and 'CPU capability' in found.reason
        assert found.cost_ratio is not None and found.cost_ratio > 0
        assert found.fast == (found.native and found.cost_ratio <= 1.5)
        assert probe_dtype_support('cpu', torch.bfloat16) is found
    finally:
        reset_dtype_support_cache()


def test_sdpa_backend_names_a_kernel():
    name = sdpa_backend('cpu', torch.float32, num_heads=2, length=10, head_dims=8)
    assert name in ('flash_attention', 'math')
