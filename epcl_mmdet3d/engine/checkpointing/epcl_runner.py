"""mmengine's Runner with crash-safe checkpoints and exact resume switched on, and the
one way every tool of ours builds its runner."""
import copy

from mmdet3d.registry import RUNNERS
from mmengine.config import Config
from mmengine.registry import RUNNERS as ROOT_RUNNERS
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from .checkpoint_files import checkpoint_problem, find_resumable_checkpoint
from .epcl_checkpoint_hook import EPCLCheckpointHook
from .epcl_random_state_hook import EPCLRandomStateHook


# also in mmengine's root registry: mmdet3d's own tools/train.py and tools/test.py build
# `runner_type` with it (RUNNERS.build(cfg)) before any default scope is set
@ROOT_RUNNERS.register_module()
@RUNNERS.register_module()
class EPCLRunner(Runner):
    """``Runner`` (``runner_type='EPCLRunner'``, set by the EPCL configs) that:

    - uses ``EPCLCheckpointHook`` where the config asks for mmengine's ``CheckpointHook``
      (same arguments; atomic saves that never remove the last complete checkpoint);
    - registers ``EPCLRandomStateHook`` (random states and sampler seed in every
      checkpoint, restored on resume) unless the config already has it;
    - on ``resume=True`` without a path, continues from the newest *complete* checkpoint
      when ``last_checkpoint`` is empty or names a missing / truncated file, and says
      so; a missing or truncated ``load_from`` / ``--resume PATH`` is a clear error.
    """

    def register_default_hooks(self, hooks=None) -> None:
        hooks = copy.deepcopy(dict(hooks or {}))
        checkpoint = hooks.get('checkpoint', dict(type='CheckpointHook', interval=1))
        if isinstance(checkpoint, dict) and checkpoint.get('type') in (
                'CheckpointHook', 'mmengine.CheckpointHook'):
            hooks['checkpoint'] = dict(checkpoint, type=EPCLCheckpointHook)
        super().register_default_hooks(hooks)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(hook, EPCLRandomStateHook) for hook in self._hooks):
            self.register_hook(EPCLRandomStateHook())

    def load_or_resume(self) -> None:
        if self._has_loaded:
            return
        if self._resume and self._load_from is None:
            self._load_from = find_resumable_checkpoint(
                self.work_dir, warn=lambda msg: self.logger.warning(msg))
            if self._load_from is None:
                self.logger.info(f'--resume: {self.work_dir} holds no checkpoint yet; '
                                 'training starts from scratch')
                return
        path = self._load_from
        if path is not None and '://' not in str(path):
            problem = checkpoint_problem(str(path))
            if problem is not None:
                what = 'resume from' if self._resume else 'load_from'
                raise FileNotFoundError(
                    f'cannot {what} {path}: the file is {problem}. Pass a complete '
                    'checkpoint' + (', or --resume without a path to continue from the '
                                    'newest complete one in the work dir'
                                    if self._resume else ''))
        super().load_or_resume()


def build_runner(cfg: Config) -> Runner:
    """``cfg.runner_type`` (e.g. ``'EPCLRunner'``, in our base runtime) or mmengine's Runner.

    The runner type is registered in mmdet3d's registry, which mmengine's root registry
    searches only under a default scope: the config's ``default_scope`` ('mmdet3d') is set
    first, as the Runner would set it anyway.
    """
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    return ROOT_RUNNERS.build(cfg)
