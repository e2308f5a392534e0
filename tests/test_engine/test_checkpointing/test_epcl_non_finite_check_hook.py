"""EPCLNonFiniteCheckHook: a NaN run stops at its first NaN iteration and no checkpoint on
disk holds a non-finite value; max_keep_ckpts=1 keeps the last finite one."""
import glob
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from tiny_cls_run import make_cfg, make_data

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine import EPCLNonFiniteCheckHook, build_runner


class LossRecorder(Hook):
    priority = 'HIGHEST'

    def __init__(self) -> None:
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses.append(float(outputs['loss']))


def _non_finite(obj, seen=None):
    """Whether anything in a loaded checkpoint (tensors, arrays, floats, objects such as
    the message hub's history buffers) is NaN or Inf."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.is_floating_point() and not bool(torch.isfinite(obj).all())
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == 'f' and not np.isfinite(obj).all()
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if isinstance(obj, dict):
        return any(_non_finite(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple, set)):
        return any(_non_finite(v, seen) for v in obj)
    if hasattr(obj, '__dict__') and not isinstance(obj, type):
        return _non_finite(vars(obj), seen)
    return False


def _checkpoints(work_dir):
    found = {}
    for path in sorted(glob.glob(osp.join(work_dir, '**', '*.pth'), recursive=True)):
        found[osp.basename(path)] = _non_finite(torch.load(path, map_location='cpu',
                                                           weights_only=False))
    return found  # name -> holds a non-finite value


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mn') / 'syn')
    make_data(root)
    return root


def _runner(data_root, work_dir, lr, **hook):
    cfg = make_cfg(data_root, work_dir)
    cfg.optim_wrapper.optimizer.lr = lr
    if hook.pop('off', False):
        cfg.default_hooks.pop('non_finite_check', None)
    elif hook:
        cfg.default_hooks.non_finite_check.update(hook)
    runner = build_runner(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder)
    return runner, recorder


def test_lr_1e8_stops_at_the_first_nan_and_keeps_the_last_finite_checkpoint(
        data_root, tmp_path):
    # without the hook (mmengine alone): NaN from some iteration on, NaN checkpoints
    # written, and max_keep_ckpts=1 has rotated every finite one out
    runner, recorder = _runner(data_root, str(tmp_path / 'off'), 1e8, off=True)
    runner.train()
    first_nan = next(i for i, loss in enumerate(recorder.losses, 1) if not math.isfinite(loss))
    assert 1 < first_nan < len(recorder.losses)
    assert _checkpoints(str(tmp_path / 'off')) == {f'iter_{len(recorder.losses)}.pth': True}

    work = str(tmp_path / 'on')
    runner, recorder = _runner(data_root, work, 1e8)
    last = osp.join(work, f'iter_{first_nan - 1}.pth')
    with pytest.raises(FloatingPointError,
                       match=rf'(?s)stopped at iteration {first_nan} \(epoch \d\): the loss '
                             rf'went non-finite \(loss=nan.*loss_cls=nan.*\).*'
                             rf'{re.escape(last)}, is finite'):
        runner.train()
    assert len(recorder.losses) == first_nan  # stopped within the NaN iteration
    assert _checkpoints(work) == {f'iter_{first_nan - 1}.pth': False}


def test_non_finite_gradient_with_a_finite_loss(data_root, tmp_path):
    """A real inf gradient (through a tensor hook) at iteration 2: the loss is finite, the
    AdamW step makes the weight NaN; the run stops there."""

    work = str(tmp_path / 'work')
    runner, recorder = _runner(data_root, work, 1e-3)
    name, weight = [(n, p) for n, p in runner.model.named_parameters() if p.requires_grad][-1]

    class InfGradient(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
            if runner.iter == 1:
                weight.register_hook(lambda grad: grad * float('inf'))

    runner.register_hook(InfGradient())
    with pytest.raises(FloatingPointError,
                       match=rf'iteration 2 .*the optimizer step made 1 trainable weight '
                             rf'tensor\(s\) non-finite \(first: {re.escape(name)}\) from '
                             r'finite losses \(loss=\d'):
        runner.train()
    assert all(math.isfinite(x) for x in recorder.losses)
    assert _checkpoints(work) == {'iter_1.pth': False}


def test_checkpoint_scan_when_iterations_are_not_all_checked(data_root, tmp_path):
    """With interval=3 the NaN iteration goes unchecked, but its checkpoint is refused
    before it is written, and the previous one is kept."""
    runner, recorder = _runner(data_root, str(tmp_path / 'off'), 1e8, off=True)
    runner.train()
    first_nan = next(i for i, loss in enumerate(recorder.losses, 1) if not math.isfinite(loss))
    if first_nan % 3 == 0:
        pytest.skip('the first NaN falls on a checked iteration')
    work = str(tmp_path / 'work')
    runner, _ = _runner(data_root, work, 1e8, interval=3)
    with pytest.raises(FloatingPointError,
                       match=rf'stopped after iteration {first_nan} .*checkpoint being saved '
                             r'holds a non-finite tensor \(state_dict\.'):
        runner.train()
    assert _checkpoints(work) == {f'iter_{first_nan - 1}.pth': False}


def test_on_in_our_configs_and_arguments(data_root, tmp_path):
    runner, _ = _runner(data_root, str(tmp_path / 'w'), 1e-3)
    hooks = [h for h in runner.hooks if isinstance(h, EPCLNonFiniteCheckHook)]
    assert len(hooks) == 1
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('EPCLNonFiniteCheckHook') < names.index('EPCLCheckpointHook')
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match='interval must be an int >= 1'):
            EPCLNonFiniteCheckHook(interval=bad)
