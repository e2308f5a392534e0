"""Training machinery: checkpoint loading and saving, hooks, runner, optimizer constructor."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .fileio import EPCLAtomicLocalBackend
from .hooks import (
                    EPCLCheckpointHook,
                    EPCLClassNamesHook,
                    EPCLFrozenWeightsCheckHook,
                    EPCLRandomStateHook,
                    EPCLVisualizationHook,
)
from .optimizers import EPCLOptimWrapperConstructor
from .runner import EPCLRunner

__all__ = [
    'EPCLAtomicLocalBackend', 'EPCLCheckpointHook', 'EPCLClassNamesHook',
    'EPCLFrozenWeightsCheckHook', 'EPCLOptimWrapperConstructor', 'EPCLRandomStateHook',
    'EPCLRunner', 'EPCLVisualizationHook', 'allow_mmengine_checkpoints'
]
