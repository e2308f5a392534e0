"""Mixed precision training that also runs on CPU (bfloat16 autocast)."""
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class EPCLAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper``, usable where it refuses to start: on CPU.

    mmengine 0.10.7's ``AmpOptimWrapper`` asserts that a CUDA / NPU / MLU / MUSA
    device exists, although its autocast context (``mmengine.runner.amp.autocast``)
    supports CPU with bfloat16. On an accelerator this class is that wrapper,
    unchanged. On CPU it autocasts to bfloat16 and scales no loss: bfloat16 has
    float32's exponent range, so gradients do not underflow and a ``GradScaler``
    has nothing to do (it is created disabled, so checkpoints keep their layout).

    Args:
        loss_scale: as ``AmpOptimWrapper`` (used on accelerators only).
        dtype: autocast dtype; on CPU only ``'bfloat16'`` (the default there).
        **kwargs: passed to ``OptimWrapper``.
    """

    def __init__(self, loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None, **kwargs) -> None:
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
        self.cast_dtype = torch.bfloat16
