"""Training machinery.

EPCL's own (what the method needs around mmengine):

- ``hooks/``: ``EPCLFrozenWeightsCheckHook`` (the frozen tower stays bit-identical),
  ``EPCLClassNamesHook`` (a classifier gets the data set's class names),
  ``EPCLModelSelectionHook`` (last and best evaluation side by side),
  ``EPCLVisualizationHook`` (headless pictures of predictions);
- ``optimizers/``: ``EPCLOptimWrapperConstructor`` (mmengine's paramwise rules, frozen
  parameters left out, no decay on biases / norms / tokens), ``EPCLAmpOptimWrapper`` (AMP on
  CPU), ``EPCLSelectiveGradClipOptimWrapper`` (clipping that leaves chosen groups out;
  ``EPCLSelectiveClipOptimWrapper`` is its deprecated name, kept for one release).

Generic machinery (nothing EPCL-specific; would serve any mmengine project):

- ``checkpointing/``: crash-safe checkpoints and exact resume (``EPCLRunner``,
  ``build_runner``, ``EPCLCheckpointHook``, ``EPCLAtomicLocalBackend``,
  ``EPCLRandomStateHook``, ``allow_mmengine_checkpoints``), and the guards of a training
  run: ``EPCLNonFiniteCheckHook`` (a NaN / Inf loss or weight stops it before any
  checkpoint holds it), ``EPCLWorkDirLockHook`` (one training run per work dir);
- ``cpu_distributed.py``: ``--launcher pytorch`` without CUDA (``prepare_cpu_distributed``).
"""
from .checkpointing import (
    EPCLAtomicLocalBackend,
    EPCLCheckpointHook,
    EPCLNonFiniteCheckHook,
    EPCLRandomStateHook,
    EPCLRunner,
    EPCLWorkDirLockHook,
    allow_mmengine_checkpoints,
    build_runner,
)
from .cpu_distributed import prepare_cpu_distributed
from .hooks import (
    EPCLClassNamesHook,
    EPCLFrozenWeightsCheckHook,
    EPCLModelSelectionHook,
    EPCLVisualizationHook,
)
from .optimizers import (
    EPCLAmpOptimWrapper,
    EPCLOptimWrapperConstructor,
    EPCLSelectiveClipOptimWrapper,
    EPCLSelectiveGradClipOptimWrapper,
)

# sorted (house rule); the module docstring groups them into EPCL's own and generic
__all__ = [
    'EPCLAmpOptimWrapper', 'EPCLAtomicLocalBackend', 'EPCLCheckpointHook', 'EPCLClassNamesHook',
    'EPCLFrozenWeightsCheckHook', 'EPCLModelSelectionHook', 'EPCLNonFiniteCheckHook',
    'EPCLOptimWrapperConstructor', 'EPCLRandomStateHook', 'EPCLRunner',
    'EPCLSelectiveClipOptimWrapper', 'EPCLSelectiveGradClipOptimWrapper',
    'EPCLVisualizationHook', 'EPCLWorkDirLockHook', 'allow_mmengine_checkpoints',
    'build_runner', 'prepare_cpu_distributed'
]
