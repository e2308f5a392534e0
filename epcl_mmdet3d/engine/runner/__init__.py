from .checkpoint_files import checkpoint_problem, find_resumable_checkpoint
from .epcl_runner import EPCLRunner

__all__ = ['EPCLRunner', 'checkpoint_problem', 'find_resumable_checkpoint']
