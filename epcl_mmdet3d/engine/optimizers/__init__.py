from .epcl_amp_optim_wrapper import EPCLAmpOptimWrapper
from .epcl_optim_wrapper_constructor import EPCLOptimWrapperConstructor
from .epcl_selective_clip_optim_wrapper import EPCLSelectiveClipOptimWrapper

__all__ = [
    'EPCLAmpOptimWrapper', 'EPCLOptimWrapperConstructor', 'EPCLSelectiveClipOptimWrapper'
]
