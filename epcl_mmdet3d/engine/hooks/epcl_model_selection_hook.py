"""Log a training run's last-evaluation and best-evaluation figures side by side."""
import json
import os.path as osp
from typing import Dict, Optional

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log


@HOOKS.register_module()
class EPCLModelSelectionHook(Hook):
    """Keep every validation's metrics and report the last one next to the best one.

    The project's model-selection rule: every task config evaluates on its validation
    split during training, keeps the last checkpoint and the best one by ``key``
    (mmengine's ``CheckpointHook(save_best=key)``), and reports both figures, named. This
    hook does the reporting: after each validation it logs the last and the best
    evaluation so far, and it writes them to ``<work_dir>/model_selection.json``
    (``rule``, ``key``, ``last`` and ``best``: each ``epoch`` / ``iter`` and its
    ``metrics``).

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
        if runner.rank == 0:
            with open(osp.join(runner.work_dir, 'model_selection.json'), 'w') as f:
                json.dump(summary, f, indent=2)
