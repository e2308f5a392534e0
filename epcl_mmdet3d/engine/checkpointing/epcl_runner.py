"""mmengine's Runner with crash-safe checkpoints and exact resume switched on, and the
one way every tool of ours builds its runner."""
import copy
import math
from typing import List, Tuple

from mmdet3d.registry import RUNNERS
from mmengine.config import Config
from mmengine.registry import RUNNERS as ROOT_RUNNERS
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from .checkpoint_files import find_resumable_checkpoint, require_complete_checkpoint
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
      so (ranking only ``epoch_N.pth`` / ``iter_N.pth``); a missing or truncated
      ``load_from`` / ``--resume PATH`` is a clear error;
    - on resume, warns where the config's learning rates differ from the checkpoint's
      (which mmengine keeps).
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
        if self._load_from is not None:
            require_complete_checkpoint(
                self._load_from, 'resume from' if self._resume else 'load_from',
                ', or --resume without a path to continue from the newest complete one in '
                'the work dir' if self._resume else '')
        super().load_or_resume()

    def resume(self, filename: str, resume_optimizer: bool = True, *args, **kwargs) -> None:
        """mmengine's resume, plus a warning where the config's learning rates differ from
        the checkpoint's: mmengine restores the optimizer (and schedulers) as saved, so a
        changed ``lr`` in the config would otherwise be ignored without a word."""
        configured = configured_lrs(self.optim_wrapper)
        super().resume(filename, resume_optimizer, *args, **kwargs)
        if not resume_optimizer:
            return
        changed = [(name, ours, saved) for (name, ours), (_, saved)
                   in zip(configured, configured_lrs(self.optim_wrapper))
                   if not math.isclose(ours, saved, rel_tol=1e-6, abs_tol=0.0)]
        if changed:
            groups = '; '.join(f'{name}: {saved:g} in the checkpoint, {ours:g} in the config'
                               for name, ours, saved in changed[:4])
            self.logger.warning(
                f'--resume keeps the learning rates of {filename} ({groups}'
                f'{"; ..." if len(changed) > 4 else ""}): the optimizer and its schedulers '
                'continue as saved, and the config\'s lr is not used. To train with the new '
                'lr, start a new run with load_from=<checkpoint> (weights only, the schedule '
                'restarts), or resume with the lr the run was started with')


def configured_lrs(optim_wrapper) -> List[Tuple[str, float]]:
    """(group name, base learning rate) of each parameter group, in order.

    The base rate is ``initial_lr`` where a parameter scheduler has set it (the config's
    ``lr`` times the group's ``lr_mult``; ``lr`` itself is the scheduled one), else
    ``lr``. Groups are named by the constructor's ``tag`` where there is one.
    """
    wrappers = (optim_wrapper.items() if hasattr(optim_wrapper, 'items')  # OptimWrapperDict
                else [('', optim_wrapper)])
    found = []
    for prefix, wrapper in wrappers:
        optimizer = getattr(wrapper, 'optimizer', None)
        for i, group in enumerate(getattr(optimizer, 'param_groups', ())):
            name = f'{prefix}.' * bool(prefix) + str(group.get('tag', f'group {i}'))
            found.append((name, float(group.get('initial_lr', group['lr']))))
    return found


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
