from .epcl_optim_wrapper_constructor import EPCLOptimWrapperConstructor
from .epcl_selective_clip_optim_wrapper import EPCLSelectiveClipOptimWrapper

__all__ = ['EPCLOptimWrapperConstructor', 'EPCLSelectiveClipOptimWrapper']
