from .epcl_optim_wrapper_constructor import EPCLOptimWrapperConstructor

__all__ = ['EPCLOptimWrapperConstructor']
