"""Training machinery: checkpoint loading, hooks and the optimizer wrapper constructor."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .hooks import EPCLClassNamesHook, EPCLFrozenWeightsCheckHook
from .optimizers import EPCLOptimWrapperConstructor

__all__ = ['EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook', 'EPCLOptimWrapperConstructor',
           'allow_mmengine_checkpoints']
