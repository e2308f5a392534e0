from .build_runner import build_runner
from .checkpoint_files import checkpoint_problem, find_resumable_checkpoint
from .epcl_runner import EPCLRunner

__all__ = ['EPCLRunner', 'build_runner', 'checkpoint_problem', 'find_resumable_checkpoint']
