from .checkpoint_loading import allow_mmengine_checkpoints
from .hooks import EPCLClassNamesHook
from .optimizers import EPCLOptimWrapperConstructor

__all__ = ['EPCLOptimWrapperConstructor', 'allow_mmengine_checkpoints']
__all__ += ['EPCLClassNamesHook']
