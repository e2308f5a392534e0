"""Training machinery: checkpoint loading, hooks and the optimizer wrapper constructor."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .hooks import EPCLClassNamesHook, EPCLFrozenWeightsCheckHook, EPCLVisualizationHook
from .optimizers import EPCLOptimWrapperConstructor

__all__ = [
    'EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook', 'EPCLOptimWrapperConstructor',
    'EPCLVisualizationHook', 'allow_mmengine_checkpoints'
]
