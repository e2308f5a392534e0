"""Stop training at the first non-finite loss or weight, before any checkpoint holds it."""
import math
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import torch
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor


def non_finite_entries(tree, prefix: str = '') -> Iterator[str]:
    """Names of the floating point tensors (and floats) of a nested dict / list that hold
    NaN or Inf, as ``key.key.index`` paths."""
    if isinstance(tree, Tensor):
        if tree.is_floating_point() or tree.is_complex():
            if not bool(torch.isfinite(tree).all()):
                yield prefix
    elif isinstance(tree, float):
        if not math.isfinite(tree):
            yield prefix
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from non_finite_entries(value, f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(tree, (list, tuple)):
        for index, value in enumerate(tree):
            yield from non_finite_entries(value, f'{prefix}.{index}' if prefix else str(index))


def _all_finite(tensors: List[Tensor]) -> bool:
    """Whether every tensor is finite, with one device synchronisation."""
    if not tensors:
        return True
    foreach_norm = getattr(torch, '_foreach_norm', None)
    if foreach_norm is not None and len({(t.device, t.dtype) for t in tensors}) == 1:
        # one fused kernel; NaN and Inf propagate into the norm. A finite tensor whose
        # squared norm overflows reads as non-finite here, and is cleared by the exact
        # check that follows a failure
        return bool(torch.isfinite(torch.stack(foreach_norm(tensors))).all())
    return bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all())


@HOOKS.register_module()
class EPCLNonFiniteCheckHook(Hook):
    """Stop training with an error at the first iteration whose loss, or whose update of
    the trainable weights, is not finite (NaN or Inf), so that no checkpoint holds it.

    Checked after every training iteration, before the checkpoint hook runs (priority
    ``ABOVE_NORMAL``), so the iteration that went non-finite writes no checkpoint, and
    ``max_keep_ckpts`` never rotates out the last finite one:

    - every loss term the model returns (``loss``, ``loss_cls``, ...);
    - every trainable parameter: a non-finite gradient reaches the weights through the
      optimizer step (gradients themselves are cleared by then). Under ``--amp`` the
      loss scaler skips steps with non-finite gradients, which therefore pass.

    Every checkpoint is also scanned before it is written (model and optimizer state);
    a non-finite tensor there is an error as well, whatever the check interval.

    The error names the iteration, the non-finite loss terms (or weights) and the last
    checkpoint written, which is finite.

    Args:
        interval: check every ``interval`` training iterations (1: every one; the loss
            check is free, the weight check one fused reduction over the trainable
            weights).
        check_parameters: also check the trainable weights.
    """

    priority = 'ABOVE_NORMAL'  # after RuntimeInfoHook (logs), before CheckpointHook

    def __init__(self, interval: int = 1, check_parameters: bool = True) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'interval must be an int >= 1, got {interval!r}')
        self.interval = interval
        self.check_parameters = check_parameters
        self._iterations_done = 0  # runner.iter counts the current one only after the hooks

    @staticmethod
    def _trainable(runner) -> List[Tuple[str, Tensor]]:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return [(name, p) for name, p in model.named_parameters() if p.requires_grad]

    @staticmethod
    def last_checkpoint(runner) -> Optional[str]:
        """The checkpoint ``last_checkpoint`` in the work dir names, if it exists.

        The checkpoint hook writes that pointer only once a save has completed (and no
        non-finite checkpoint is ever saved with this hook on).
        """
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        if not osp.isfile(pointer):
            return None
        with open(pointer, encoding='utf-8') as f:
            path = f.read().strip()
        return path if path and ('://' in path or osp.isfile(path)) else None

    def _stop(self, runner, what: str, when: str) -> None:
        last = self.last_checkpoint(runner)
        if last is None:
            where = ('no checkpoint has been written yet' +
                     (f' (the run started from load_from={runner._load_from})'
                      if getattr(runner, '_load_from', None) else ''))
        else:
            where = (f'the last checkpoint, {last}, is finite: start again from it with '
                     f'load_from={last} (--resume {last} also restores its learning rate)')
        raise FloatingPointError(
            f'training stopped {when} (epoch {runner.epoch + 1}): {what}. No checkpoint '
            f'was written for this iteration; {where}. Lower the learning rate '
            '(optim_wrapper.optimizer.lr), add gradient clipping '
            '(optim_wrapper.clip_grad=dict(max_norm=...)) or look for broken inputs')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        self._iterations_done = runner.iter + 1
        if not self.every_n_train_iters(runner, self.interval):
            return
        when = f'at iteration {runner.iter + 1}'
        losses = {name: value.item() if isinstance(value, Tensor) else value
                  for name, value in (outputs or {}).items()
                  if isinstance(value, float) or (isinstance(value, Tensor) and
                                                  value.numel() == 1)}
        bad = [f'{name}={value:g}' for name, value in losses.items()
               if not math.isfinite(value)]
        if bad:
            self._stop(runner, f'the loss went non-finite ({", ".join(bad)})', when)
        if not self.check_parameters:
            return
        named = self._trainable(runner)
        if _all_finite([p.detach() for _, p in named]):
            return
        weights = [name for name, p in named if not bool(torch.isfinite(p.detach()).all())]
        if weights:
            finite = ', '.join(f'{name}={value:.4g}' for name, value in losses.items())
            self._stop(runner, f'the optimizer step made {len(weights)} trainable weight '
                               f'tensor(s) non-finite (first: {weights[0]}) from finite '
                               f'losses ({finite}): a non-finite gradient or an '
                               'overflowing step', when)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = {key: checkpoint[key] for key in ('state_dict', 'optimizer') if key in checkpoint}
        bad = next(non_finite_entries(saved), None)
        if bad is not None:
            done = max(self._iterations_done, runner.iter)
            self._stop(runner, f'the checkpoint being saved holds a non-finite tensor '
                               f'({bad}); it was not written', f'after iteration {done}')
