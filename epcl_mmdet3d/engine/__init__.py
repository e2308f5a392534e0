"""Training machinery: checkpoint loading and saving, hooks, runner, optimizer wrappers."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .cpu_distributed import prepare_cpu_distributed
from .fileio import EPCLAtomicLocalBackend
from .hooks import (
    EPCLCheckpointHook,
    EPCLClassNamesHook,
    EPCLFrozenWeightsCheckHook,
    EPCLRandomStateHook,
    EPCLVisualizationHook,
)
from .optimizers import EPCLAmpOptimWrapper, EPCLOptimWrapperConstructor
from .runner import EPCLRunner

__all__ = [
    'EPCLAmpOptimWrapper', 'EPCLAtomicLocalBackend', 'EPCLCheckpointHook', 'EPCLClassNamesHook',
    'EPCLFrozenWeightsCheckHook', 'EPCLOptimWrapperConstructor', 'EPCLRandomStateHook',
    'EPCLRunner', 'EPCLVisualizationHook', 'allow_mmengine_checkpoints',
    'prepare_cpu_distributed'
]
