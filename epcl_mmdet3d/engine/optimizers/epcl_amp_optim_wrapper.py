"""Mixed precision training that also runs on CPU (bfloat16 autocast)."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn

from ...utils.dtype_support import resolve_dtype


@OPTIM_WRAPPERS.register_module()
class EPCLAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper``, usable where it refuses to start: on CPU.

    mmengine 0.10.7's ``AmpOptimWrapper`` asserts that a CUDA / NPU / MLU / MUSA
    device exists, although its autocast context (``mmengine.runner.amp.autocast``)
    supports CPU with bfloat16. On an accelerator this class is that wrapper,
    unchanged. On CPU it autocasts to bfloat16 and scales no loss: bfloat16 has
    float32's exponent range, so gradients do not underflow and a ``GradScaler``
    has nothing to do (it is created disabled, so checkpoints keep their layout).
    Where this CPU has no fast bfloat16 kernels, it runs float32 (no autocast) with one
    warning, unless ``dtype_policy='force'``; ``cast_dtype`` says which ran.

    Args:
        loss_scale: as ``AmpOptimWrapper`` (used on accelerators only).
        dtype: autocast dtype; on CPU only ``'bfloat16'`` (the default there).
        dtype_policy: on CPU, 'auto' (float32 where bfloat16 is slow here, see
            :func:`~epcl_mmdet3d.utils.resolve_dtype`) or 'force' (bfloat16 anyway).
        **kwargs: passed to ``OptimWrapper``.
    """

    def __init__(self, loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 dtype_policy: str = 'auto', **kwargs) -> None:
        if get_device() != 'cpu':
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            return
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
        if dtype not in (None, torch.bfloat16):
            raise ValueError(f'CPU autocast runs in bfloat16 only, got dtype={dtype}; drop '
                             "dtype or set dtype='bfloat16' for AMP on CPU")
        OptimWrapper.__init__(self, **kwargs)  # skips AmpOptimWrapper's device assertion
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = resolve_dtype(torch.bfloat16, 'cpu', dtype_policy,
                                        requested_by='AMP autocast on CPU')

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Autocast as ``AmpOptimWrapper``, none where float32 was chosen."""
        if self.cast_dtype == torch.float32:
            with OptimWrapper.optim_context(self, model):
                yield
        else:
            with super().optim_context(model):
                yield
