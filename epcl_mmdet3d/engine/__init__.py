"""Training machinery: checkpoint loading and saving, hooks, runner, optimizer wrappers."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .cpu_distributed import prepare_cpu_distributed
from .fileio import EPCLAtomicLocalBackend
from .hooks import (
    EPCLCheckpointHook,
    EPCLClassNamesHook,
    EPCLFrozenWeightsCheckHook,
    EPCLModelSelectionHook,
    EPCLRandomStateHook,
    EPCLVisualizationHook,
)
from .optimizers import (
    EPCLAmpOptimWrapper,
    EPCLOptimWrapperConstructor,
    EPCLSelectiveClipOptimWrapper,
)
from .runner import EPCLRunner, build_runner

__all__ = [
    'EPCLAmpOptimWrapper', 'EPCLAtomicLocalBackend', 'EPCLCheckpointHook', 'EPCLClassNamesHook',
    'EPCLFrozenWeightsCheckHook', 'EPCLModelSelectionHook', 'EPCLOptimWrapperConstructor',
    'EPCLRandomStateHook', 'EPCLRunner', 'EPCLSelectiveClipOptimWrapper', 'EPCLVisualizationHook',
    'allow_mmengine_checkpoints', 'build_runner', 'prepare_cpu_distributed'
]
