"""Does this machine have fast kernels for a reduced-precision dtype? Decide once, say so.

Storing the frozen CLIP tower in bfloat16 (``FrozenCLIPBackbone(frozen_dtype=...)``) or
autocasting to it (``--amp``, :class:`~epcl_mmdet3d.engine.EPCLAmpOptimWrapper`) is two
to three times faster on a CPU with native bfloat16 (AVX512-BF16, AMX) and tens of times
*slower* on one without: there a bfloat16 matmul's input gradient falls back to a
generic kernel (measured on an AVX2 EPYC: 9.7 s against 0.17 s in float32). The same
holds for float16 on most CPUs and for bfloat16 on GPUs before Ampere.

:func:`resolve_dtype` is the one place that decides. Under policy ``'auto'`` it asks
:func:`probe_dtype_support`, which checks the capability (oneDNN's own answer on CPU,
the compute capability on CUDA) and times a small matmul forward + input gradient in
the dtype against float32, once per process, device and dtype (a few tens of
milliseconds). A dtype without native kernels, or one that costs more than
:data:`SLOW_COST_RATIO` times float32, gives float32 instead, with one
:class:`SlowDtypeWarning` per process, device and dtype that names the reason and the
measured cost. Policy ``'force'`` uses the dtype as asked, without probing.
"""
import time
import warnings
from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F

DTYPE_POLICIES = ('auto', 'force')
# A reduced dtype whose matmul forward + input gradient costs more than this multiple
# of float32 counts as slow (native kernels run at 0.3-1.0x; generic fallbacks at 10-60x).
SLOW_COST_RATIO = 1.5
# The timed problem: (rows, width) tokens through a (width, width) frozen linear layer.
_PROBE_ROWS, _PROBE_WIDTH, _PROBE_REPEATS = 128, 384, 5
# Timing of one dtype stops after this many seconds (at least one timed call): a slow
# dtype is told apart in one call (float32 takes about 1 ms on one core).
_PROBE_BUDGET_S = 0.02


class SlowDtypeWarning(UserWarning):
    """A reduced-precision dtype was asked for where it runs slowly: float32 runs instead."""


@dataclass(frozen=True)
class DtypeSupport:
    """What :func:`probe_dtype_support` found for one device type and dtype.

    Attributes:
        device: device type ('cpu', 'cuda', ...).
        dtype: the reduced dtype probed.
        native: the hardware / library reports native kernels for it.
        cost_ratio: measured time of the dtype over float32 (matmul forward + input
            gradient); None where not measured.
        fast: ``native`` and ``cost_ratio`` at most :data:`SLOW_COST_RATIO`.
        reason: what the capability check said, in words.
    """
    device: str
    dtype: torch.dtype
    native: bool
    cost_ratio: Optional[float]
    fast: bool
    reason: str


_CACHE: Dict[Tuple[str, torch.dtype], DtypeSupport] = {}
_WARNED = set()


def reset_dtype_support_cache() -> None:
    """Forget probed results and given warnings (for tests)."""
    _CACHE.clear()
    _WARNED.clear()


def _native_support(device: str, dtype: torch.dtype) -> Tuple[bool, str]:
    """The capability check: does ``device`` have native kernels for ``dtype``?

    Returns:
        (native, reason in words).
    """
    name = str(dtype).replace('torch.', '')
    if device == 'cpu':
        capability = torch.backends.cpu.get_cpu_capability()
        probe = {torch.bfloat16: torch.ops.mkldnn._is_mkldnn_bf16_supported,
                 torch.float16: torch.ops.mkldnn._is_mkldnn_fp16_supported}[dtype]
        native = torch.backends.mkldnn.is_available() and bool(probe())
        return native, (f'oneDNN reports {"" if native else "no "}native {name} kernels '
                        f'on this CPU (torch CPU capability {capability})')
    if device == 'cuda':
        major, minor = torch.cuda.get_device_capability()
        needed = (8, 0) if dtype == torch.bfloat16 else (7, 0)
        native = (major, minor) >= needed
        return native, (f'{torch.cuda.get_device_name()} has compute capability '
                        f'{major}.{minor}; native {name} needs {needed[0]}.{needed[1]}+')
    return True, f'not checked on {device}'


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def _time_linear(device: str, dtype: torch.dtype, repeats: int) -> float:
    """Best time (s) of a frozen linear layer's forward + input gradient."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(_PROBE_ROWS, _PROBE_WIDTH, generator=gen).to(device, dtype)
    weight = torch.randn(_PROBE_WIDTH, _PROBE_WIDTH, generator=gen).to(device, dtype)
    grad = torch.ones(_PROBE_ROWS, _PROBE_WIDTH, device=device, dtype=dtype)
    x.requires_grad_(True)
    best, spent = float('inf'), 0.0
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        out = F.linear(x, weight)  # (rows, width)
        torch.autograd.grad(out, x, grad)
        _sync(device)
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if spent > _PROBE_BUDGET_S:
            break  # slow enough to tell; do not spend more
    return best


def _measure_cost_ratio(device: str, dtype: torch.dtype) -> float:
    """Time of ``dtype`` over float32 for a small frozen linear layer, forward + input
    gradient (each warmed up once, then the best of a few).

    On CPU it is timed on one thread: which kernel runs is a per-core question, and on a
    shared machine a small multi-threaded matmul measures barrier waits, not kernels.
    """
    threads = torch.get_num_threads()
    if device == 'cpu':
        torch.set_num_threads(1)
    try:
        with torch.autocast(device, enabled=False):
            _time_linear(device, torch.float32, 1)
            _time_linear(device, dtype, 1)
            reference = _time_linear(device, torch.float32, _PROBE_REPEATS)
            reduced = _time_linear(device, dtype, _PROBE_REPEATS)
    finally:
        torch.set_num_threads(threads)
    return reduced / max(reference, 1e-9)


def probe_dtype_support(device: str, dtype: torch.dtype) -> DtypeSupport:
    """Capability check and timed matmul, once per process, device type and dtype.

    Args:
        device: device type ('cpu', 'cuda', ...) or a device string ('cuda:0').
        dtype: ``torch.bfloat16`` or ``torch.float16``.

    Returns:
        The :class:`DtypeSupport` found (cached).
    """
    device = torch.device(device).type
    key = (device, dtype)
    if key not in _CACHE:
        native, reason = _native_support(device, dtype)
        ratio = (_measure_cost_ratio(device, dtype) if device in ('cpu', 'cuda')
                 else None)
        fast = native and (ratio is None or ratio <= SLOW_COST_RATIO)
        _CACHE[key] = DtypeSupport(device, dtype, native, ratio, fast, reason)
    return _CACHE[key]


def resolve_dtype(dtype: Union[str, torch.dtype], device: Optional[str] = None,
                  policy: str = 'auto', requested_by: str = 'a reduced dtype') -> torch.dtype:
    """The dtype to run in: ``dtype`` where it is fast here (or forced), else float32.

    Args:
        dtype: the dtype asked for ('float32', 'bfloat16', 'float16' or a torch dtype).
        device: where it will run; None for the device mmengine's runner puts the model
            on (``mmengine.device.get_device()``).
        policy: 'auto' (probe, fall back to float32 with one warning where slow) or
            'force' (use ``dtype`` as asked, unprobed).
        requested_by: who asked, for the warning (e.g. ``"frozen_dtype='bfloat16'"``).

    Returns:
        ``dtype`` or ``torch.float32``.
    """
    if isinstance(dtype, str):
        name = dtype
        dtype = getattr(torch, dtype, None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f'unknown dtype {name!r}; use float32, bfloat16 or float16')
    if policy not in DTYPE_POLICIES:
        raise ValueError(f'dtype policy must be one of {DTYPE_POLICIES}, got {policy!r}')
    if dtype == torch.float32 or policy == 'force':
        return dtype
    if dtype not in (torch.bfloat16, torch.float16):
        raise ValueError(f'{requested_by}: only float32, bfloat16 and float16 are '
                         f'supported, got {dtype}')
    if device is None:
        from mmengine.device import get_device
        device = get_device()
    support = probe_dtype_support(device, dtype)
    if support.fast:
        return dtype
    key = (support.device, dtype)
    if key not in _WARNED:
        _WARNED.add(key)
        name = str(dtype).replace('torch.', '')
        cost = ('' if support.cost_ratio is None else
                f'; measured: a {name} matmul forward + input gradient takes '
                f'{support.cost_ratio:.1f}x the float32 time')
        warnings.warn(
            f'{name} is slow on this {support.device}: {support.reason}{cost}. Running '
            f'float32 instead for {requested_by}, and for every other {name} request in '
            f'this process (frozen_dtype, AMP autocast). To use {name} anyway, set '
            "frozen_dtype_policy='force' on FrozenCLIPBackbone or dtype_policy='force' "
            'on EPCLAmpOptimWrapper.', SlowDtypeWarning, stacklevel=2)
    return torch.float32


def sdpa_backend(device: Union[str, torch.device], dtype: torch.dtype, num_heads: int,
                 length: int, head_dims: int, batch_size: int = 1) -> str:
    """Which kernel ``F.scaled_dot_product_attention`` picks for these inputs.

    Args:
        device: where attention runs.
        dtype: q / k / v dtype.
        num_heads: H.
        length: L, tokens (self-attention, no mask, no dropout).
        head_dims: D / H.
        batch_size: B.

    Returns:
        The backend's name in lower case ('flash_attention', 'efficient_attention',
        'cudnn_attention', 'math', ...), or 'unknown' where torch cannot tell.
    """
    try:
        from torch.nn.attention import SDPBackend
        q = torch.empty(batch_size, num_heads, length, head_dims, device=device,
                        dtype=dtype)  # (B, H, L, D/H)
        return SDPBackend(torch._fused_sdp_choice(q, q, q)).name.lower()
    except (AttributeError, ImportError, RuntimeError, ValueError):
        return 'unknown'
