"""Training machinery: checkpoint loading, hooks and the optimizer wrapper constructor."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .hooks import EPCLClassNamesHook, EPCLModelSelectionHook
from .optimizers import EPCLOptimWrapperConstructor, EPCLSelectiveClipOptimWrapper

__all__ = [
    'EPCLClassNamesHook', 'EPCLModelSelectionHook', 'EPCLOptimWrapperConstructor',
    'EPCLSelectiveClipOptimWrapper', 'allow_mmengine_checkpoints'
]
