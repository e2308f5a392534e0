"""Training machinery: checkpoint loading, hooks and the optimizer wrapper constructor."""
from .checkpoint_loading import allow_mmengine_checkpoints
from .cpu_distributed import prepare_cpu_distributed
from .hooks import EPCLClassNamesHook
from .optimizers import EPCLAmpOptimWrapper, EPCLOptimWrapperConstructor

__all__ = ['EPCLAmpOptimWrapper', 'EPCLClassNamesHook', 'EPCLOptimWrapperConstructor',
           'allow_mmengine_checkpoints', 'prepare_cpu_distributed']
