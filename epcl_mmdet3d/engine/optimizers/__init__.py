"""Optimizer pieces of the method: the frozen-aware constructor, AMP on CPU, and gradient
clipping that can leave the (unfrozen) tower out."""
from .epcl_amp_optim_wrapper import EPCLAmpOptimWrapper
from .epcl_optim_wrapper_constructor import EPCLOptimWrapperConstructor
from .epcl_selective_grad_clip_optim_wrapper import (
    EPCLSelectiveClipOptimWrapper,
    EPCLSelectiveGradClipOptimWrapper,
)

__all__ = [
    'EPCLAmpOptimWrapper', 'EPCLOptimWrapperConstructor', 'EPCLSelectiveClipOptimWrapper',
    'EPCLSelectiveGradClipOptimWrapper'
]
