"""Log a training run's last-evaluation and best-evaluation figures side by side."""
import copy
import json
import os.path as osp
from typing import Dict, Optional

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..checkpointing import atomic_write

# message-hub key (saved in every checkpoint) of the hook's state: key, rule, last, best
STATE_KEY = 'epcl_model_selection'


@HOOKS.register_module()
class EPCLModelSelectionHook(Hook):
    """Keep every validation's metrics and report the last one next to the best one.

    The project's model-selection rule: every task config evaluates on its validation
    split during training, keeps the last checkpoint and the best one by ``key``
    (mmengine's ``CheckpointHook(save_best=key)``), and reports both figures, named. This
    hook does the reporting: after each validation it logs the last and the best
    evaluation so far, and it writes them to ``<work_dir>/model_selection.json``
    (``rule``, ``key``, ``last`` and ``best``: each ``epoch`` / ``iter`` and its
    ``metrics``), atomically (a kill leaves the previous file or the new one).

    Its state goes into every checkpoint (the message hub's ``epcl_model_selection``) and
    comes back on ``--resume``, so the best of the evaluations before the resume still
    counts. With ``EPCLCheckpointHook`` a validation that the resumed checkpoint does not
    hold is run again first, so the file matches that of an uninterrupted run.

    Args:
        key: the metric that picks the best evaluation (e.g. ``mAP_0.50``).
        rule: ``'greater'`` or ``'less'``.
    """

    priority = 'LOW'

    def __init__(self, key: str, rule: str = 'greater') -> None:
        if rule not in ('greater', 'less'):
            raise ValueError(f"rule must be 'greater' or 'less', got {rule!r}")
        self.key = key
        self.rule = rule
        self.last: Optional[dict] = None
        self.best: Optional[dict] = None

    def before_train(self, runner) -> None:
        """Take back the state a resumed checkpoint holds (nothing on a fresh run)."""
        state = runner.message_hub.get_info(STATE_KEY)
        if runner.iter == 0 or state is None:
            return
        if (state.get('key'), state.get('rule')) != (self.key, self.rule):
            runner.logger.warning(
                f'EPCLModelSelectionHook: the resumed run selected by {state.get("key")!r} '
                f'({state.get("rule")}), this config by {self.key!r} ({self.rule}); the '
                'evaluations before the resume are not compared with the new ones')
            return
        self.last, self.best = copy.deepcopy(state['last']), copy.deepcopy(state['best'])

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        best = self.best['metrics'][self.key]
        return value > best if self.rule == 'greater' else value < best

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        """Record one validation's metrics (called by mmengine's ValLoop)."""
        if not metrics:
            return
        if self.key not in metrics:
            raise KeyError(f'EPCLModelSelectionHook selects on {self.key!r}, but the '
                           f'validation gave {sorted(metrics)}; set key to one of them')
        entry = dict(epoch=runner.epoch, iter=runner.iter,
                     metrics={k: float(v) for k, v in metrics.items()
                              if isinstance(v, (int, float))})
        self.last = entry
        if self._better(entry['metrics'][self.key]):
            self.best = entry
        summary = dict(rule=f'best on the validation split by {self.key} ({self.rule})',
                       key=self.key, last=self.last, best=self.best)
        print_log(f'model selection: last evaluation (epoch {self.last["epoch"]}) '
                  f'{self.key}={self.last["metrics"][self.key]:.4f}; best (epoch '
                  f'{self.best["epoch"]}) {self.key}={self.best["metrics"][self.key]:.4f}',
                  logger='current')
        runner.message_hub.update_info(STATE_KEY, copy.deepcopy(
            dict(key=self.key, rule=self.rule, last=self.last, best=self.best)))
        if runner.rank == 0:
            atomic_write(json.dumps(summary, indent=2).encode(),
                         osp.join(runner.work_dir, 'model_selection.json'))
