"""A tiny training run whose best validation is epoch 2 of 3, and ways to kill it.

Imported by ``test_best_selection_resume.py``; also run as a script (a subprocess that
dies with ``os._exit``): ``python best_selection_run.py WORK_DIR FAULT``.

The model is one 0-d parameter ``w`` with loss ``w`` (gradient 1): SGD at lr 0.1 over 2
iterations an epoch gives w = -0.2, -0.4, -0.6 after epochs 1, 2, 3, and the score
``-(w - TARGET)**2`` peaks at epoch 2, exactly and on any machine.
"""
import itertools
import os
import os.path as osp
import sys
import tempfile

import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

TARGET = -0.38
MAX_EPOCHS = 3
FAULTS = ('best_write', 'last_validation', 'old_best_removal')
_RUN_IDS = itertools.count()


class Killed(BaseException):
    """A kill, in process: not an ``Exception``, so no handler on the way catches it."""


class _Data(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((2, ), float(i)))


class _Scalar(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, inputs, mode='tensor'):
        if mode == 'loss':
            return dict(loss=self.w + 0 * inputs.sum())
        return [self.w.detach().clone() for _ in range(len(inputs))]


class _Score(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend(float(w) for w in data_samples)

    def compute_metrics(self, results):
        return dict(score=-(sum(results) / len(results) - TARGET)**2)


class _KillBeforeValidation(Hook):

    priority = 'HIGHEST'

    def __init__(self, epoch, kill):
        self.epoch, self.kill = epoch, kill

    def before_val_epoch(self, runner):
        if runner.epoch == self.epoch:
            self.kill()


def build(work_dir, resume=False, custom_hooks=()):
    """An ``EPCLRunner`` with ``save_best='score'`` and ``EPCLModelSelectionHook``."""
    import epcl_mmdet3d  # noqa: F401
    from epcl_mmdet3d.engine import EPCLModelSelectionHook, EPCLRunner

    loader = dict(dataset=_Data(), batch_size=4, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    return EPCLRunner(
        model=_Scalar(), work_dir=str(work_dir), train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=MAX_EPOCHS, val_interval=1),
        val_dataloader=loader, val_cfg=dict(), val_evaluator=[_Score()],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                           max_keep_ckpts=1, save_best='score',
                                           rule='greater')),
        custom_hooks=[EPCLModelSelectionHook(key='score'), *custom_hooks],
        randomness=dict(seed=0), default_scope='mmdet3d', resume=resume,
        experiment_name=f'best_selection_{os.getpid()}_{next(_RUN_IDS)}')


def inject(fault, kill, setattr_=setattr):
    """Make the run die at ``fault`` (one of ``FAULTS``); returns hooks to register.

    - ``best_write``: halfway through writing ``best_score_epoch_2.pth`` (its temporary
      file is left behind, as after a hard kill);
    - ``last_validation``: as the last epoch's validation starts;
    - ``old_best_removal``: after the epoch-2 best and the re-saved ``epoch_2.pth`` are
      complete, as the previous best is being removed.
    """
    from epcl_mmdet3d.engine import EPCLAtomicLocalBackend
    if fault == 'best_write':
        put = EPCLAtomicLocalBackend.put

        def dying_put(self, obj, filepath):
            if osp.basename(str(filepath)) != 'best_score_epoch_2.pth':
                return put(self, obj, filepath)
            fd, _ = tempfile.mkstemp(prefix=f'.{osp.basename(str(filepath))}.',
                                     suffix='.partial', dir=osp.dirname(str(filepath)))
            os.write(fd, obj[:len(obj) // 2])
            os.close(fd)
            kill()

        setattr_(EPCLAtomicLocalBackend, 'put', dying_put)
        return []
    if fault == 'last_validation':
        return [_KillBeforeValidation(MAX_EPOCHS, kill)]
    if fault == 'old_best_removal':
        remove = EPCLAtomicLocalBackend.remove

        def dying_remove(self, filepath):
            if osp.basename(str(filepath)) == 'best_score_epoch_1.pth':
                kill()
            remove(self, filepath)

        setattr_(EPCLAtomicLocalBackend, 'remove', dying_remove)
        return []
    raise ValueError(f'fault must be one of {FAULTS}, got {fault!r}')


def _hard_kill():
    sys.stdout.flush()
    os._exit(9)


if __name__ == '__main__':
    work_dir, fault = sys.argv[1:]
    build(work_dir, custom_hooks=inject(fault, _hard_kill)).train()
    sys.exit('the fault was never reached')
