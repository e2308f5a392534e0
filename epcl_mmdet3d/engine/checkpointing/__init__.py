"""Generic resume machinery (nothing EPCL-specific): checkpoints that a kill cannot leave
incomplete, ``--resume`` that finds the newest complete one, runs that resume exactly, and
weights-only loading of mmengine checkpoints.

- ``EPCLRunner`` / ``build_runner``: mmengine's Runner with the pieces below switched on.
- ``EPCLCheckpointHook`` + ``EPCLAtomicLocalBackend``: atomic saves, removals only after,
  and a validation that a kill interrupted is run again on resume (the best survives).
- ``EPCLRandomStateHook``: random states and sampler seed in every checkpoint.
- ``EPCLNonFiniteCheckHook``: a NaN / Inf loss or weight stops training before any
  checkpoint holds it.
- ``EPCLWorkDirLockHook``: one training run per work dir.
- ``checkpoint_files``: which checkpoint is complete and which one to resume from, a
  clear error naming a truncated one, and the clean-up of unfinished writes.
- ``checkpoint_loading``: the allow-list torch's weights-only unpickler needs.
"""
from .checkpoint_files import (
    checkpoint_problem,
    find_resumable_checkpoint,
    remove_partial_files,
    require_complete_checkpoint,
)
from .checkpoint_loading import allow_mmengine_checkpoints
from .epcl_atomic_local_backend import EPCLAtomicLocalBackend, atomic_write
from .epcl_checkpoint_hook import EPCLCheckpointHook
from .epcl_non_finite_check_hook import EPCLNonFiniteCheckHook
from .epcl_random_state_hook import EPCLRandomStateHook
from .epcl_runner import EPCLRunner, build_runner
from .epcl_work_dir_lock_hook import EPCLWorkDirLockHook

__all__ = [
    'EPCLAtomicLocalBackend', 'EPCLCheckpointHook', 'EPCLNonFiniteCheckHook',
    'EPCLRandomStateHook', 'EPCLRunner', 'EPCLWorkDirLockHook', 'allow_mmengine_checkpoints',
    'atomic_write', 'build_runner', 'checkpoint_problem', 'find_resumable_checkpoint',
    'remove_partial_files', 'require_complete_checkpoint'
]
