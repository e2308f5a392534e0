from .checkpoint_loading import allow_mmengine_checkpoints
from .optimizers import EPCLOptimWrapperConstructor

__all__ = ['EPCLOptimWrapperConstructor', 'allow_mmengine_checkpoints']
