"""An OptimWrapper whose gradient clipping leaves chosen parameter groups out."""
import logging
import warnings
from typing import List

import torch
from mmdet3d.registry import OPTIM_WRAPPERS
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper


@OPTIM_WRAPPERS.register_module()
class EPCLSelectiveGradClipOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that clips only the parameter groups without ``skip_grad_clip``.

    mmengine copies every entry of a ``paramwise_cfg.custom_keys`` dict into the
    parameter groups it builds, so a config marks groups with standard keys::

        optim_wrapper = dict(
            type='EPCLSelectiveGradClipOptimWrapper',
            clip_grad=dict(max_norm=0.1, norm_type=2),
            paramwise_cfg=dict(custom_keys={
                'backbone.clip': dict(lr_mult=0.1, skip_grad_clip=True)}))

    The gradient norm is then taken, and the clip applied, over the other groups only:
    for the unfrozen-CLIP ablation the head and tokenizer are clipped exactly as in the
    frozen run instead of sharing one global norm with 86M tower parameters.

    Args:
        optimizer: the optimizer.
        clip_grad: mmengine's ``clip_grad`` dict (required).
        **kwargs: the rest of ``OptimWrapper``'s arguments.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, clip_grad: dict, **kwargs) -> None:
        if not clip_grad:
            raise ValueError(f'{type(self).__name__} exists to clip some groups: give '
                             'clip_grad=dict(max_norm=...), or use OptimWrapper')
        super().__init__(optimizer, clip_grad=clip_grad, **kwargs)
        if not any(g.get('skip_grad_clip', False) for g in optimizer.param_groups):
            raise ValueError(
                'no parameter group has skip_grad_clip=True, so every parameter would be '
                'clipped: mark the groups to leave out with paramwise_cfg=dict(custom_keys='
                "{'<name>': dict(skip_grad_clip=True)}) (or use OptimWrapper)")

    def _clip_grad(self) -> None:
        """Clip the gradients of the groups without ``skip_grad_clip``."""
        params: List[torch.Tensor] = []
        for group in self.optimizer.param_groups:
            if not group.get('skip_grad_clip', False):
                params.extend(group['params'])
        params = [p for p in params if p.requires_grad and p.grad is not None]
        if params:
            grad = self.clip_func(params, **self.clip_grad_kwargs)
            if grad is not None:  # clip_grad_value_ returns None
                self.message_hub.update_scalar(f'train/{self.grad_name}', float(grad))


@OPTIM_WRAPPERS.register_module()
class EPCLSelectiveClipOptimWrapper(EPCLSelectiveGradClipOptimWrapper):
    """Deprecated name of :class:`EPCLSelectiveGradClipOptimWrapper` ("Clip" read as CLIP);
    it still builds, with a warning, and goes away in the next release."""

    def __init__(self, *args, **kwargs) -> None:
        msg = ("optim_wrapper type 'EPCLSelectiveClipOptimWrapper' is deprecated and will be "
               "removed in the next release: write type='EPCLSelectiveGradClipOptimWrapper' "
               '(same arguments)')
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        print_log(msg, logger='current', level=logging.WARNING)
        super().__init__(*args, **kwargs)
