from .epcl_amp_optim_wrapper import EPCLAmpOptimWrapper
from .epcl_optim_wrapper_constructor import EPCLOptimWrapperConstructor

__all__ = ['EPCLAmpOptimWrapper', 'EPCLOptimWrapperConstructor']
