"""Kills and full disks during checkpoint saves; --resume on broken checkpoints."""
import itertools
import os
import os.path as osp

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine import EPCLAtomicLocalBackend, EPCLCheckpointHook, EPCLRunner
from epcl_mmdet3d.engine.checkpointing import (
    EPCLRandomStateHook,
    atomic_write,
    checkpoint_problem,
    find_resumable_checkpoint,
)

_RUN_IDS = itertools.count()


class _Data(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.rand(4, generator=g), labels=torch.tensor(i % 2))


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(logits, labels))
        return logits


def _runner(work_dir, max_epochs, runner_cls=EPCLRunner, hook='CheckpointHook',
            ckpt_kwargs=None, lr=0.1, **kwargs):
    return runner_cls(
        model=_Model(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Data(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type=hook, interval=1, max_keep_ckpts=1,
                                           **(ckpt_kwargs or {}))),
        randomness=dict(seed=0), default_scope='mmdet3d',
        experiment_name=f'safety_{next(_RUN_IDS)}', **kwargs)


def _truncate(path, keep=0.5):
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


def _full_disk_at(monkeypatch, backend_cls, name):
    """Make the checkpoint write of ``name`` fail as a full disk does, after half the bytes."""
    original = backend_cls.put

    def put(self, obj, filepath):
        if osp.basename(str(filepath)) == name:
            with open(filepath, 'wb') as f:  # a non-atomic writer leaves this behind
                f.write(obj[:len(obj) // 2])
            raise OSError(28, 'No space left on device')
        original(self, obj, filepath)

    monkeypatch.setattr(backend_cls, put.__name__, put)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / 'f.bin'
    atomic_write(b'old', target)

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space'):
        atomic_write(b'new content', target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['f.bin']  # the partial file was cleaned up


def test_mmengine_hook_loses_the_run(tmp_path, monkeypatch):
    """The fault being fixed: mmengine's own hook with max_keep_ckpts=1."""
    _runner(tmp_path, 1, runner_cls=Runner).train()
    _full_disk_at(monkeypatch, LocalBackend, 'epoch_2.pth')
    with pytest.raises(OSError):
        _runner(tmp_path, 2, runner_cls=Runner, resume=True).train()
    assert not (tmp_path / 'epoch_1.pth').exists()  # deleted before the failed write
    assert checkpoint_problem(str(tmp_path / 'epoch_2.pth')) is not None


def test_failed_save_keeps_last_complete_checkpoint(tmp_path, monkeypatch):
    _runner(tmp_path, 1).train()
    _full_disk_at(monkeypatch, EPCLAtomicLocalBackend, 'epoch_2.pth')
    runner = _runner(tmp_path, 2, resume=True)
    with pytest.raises(OSError, match='No space'):
        runner.train()
    assert checkpoint_problem(str(tmp_path / 'epoch_1.pth')) is None
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    # and a resume continues from it
    monkeypatch.undo()
    resumed = _runner(tmp_path, 2, resume=True)
    resumed.train()
    assert resumed.epoch == 2
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith('.pth')) == ['epoch_2.pth']


def test_outdated_checkpoint_removed_only_after_the_new_one(tmp_path):
    _runner(tmp_path, 3).train()
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith('.pth')) == ['epoch_3.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_3.pth')
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.partial')]


def test_runner_switches_the_hooks_on(tmp_path):
    runner = _runner(tmp_path, 1)
    kinds = [type(h) for h in runner._hooks]
    assert EPCLCheckpointHook in kinds and CheckpointHook not in kinds
    assert EPCLRandomStateHook in kinds


@pytest.mark.parametrize('fault', ['truncated', 'deleted', 'empty_pointer', 'no_pointer'])
def test_resume_falls_back_to_newest_complete(tmp_path, fault):
    _runner_keep_all(tmp_path, 2).train()
    latest = tmp_path / 'epoch_2.pth'
    if fault == 'truncated':
        _truncate(latest)
    elif fault == 'deleted':
        latest.unlink()
    elif fault == 'empty_pointer':
        latest.unlink()
        (tmp_path / 'last_checkpoint').write_text('')
    else:
        latest.unlink()
        (tmp_path / 'last_checkpoint').unlink()
    messages = []
    assert find_resumable_checkpoint(str(tmp_path), messages.append) == str(
        tmp_path / 'epoch_1.pth')
    assert 'resuming from' in messages[0] and 'epoch_1.pth' in messages[0]
    resumed = _runner(tmp_path, 3, resume=True)
    resumed.train()
    assert resumed.epoch == 3


def _runner_keep_all(work_dir, max_epochs):
    runner = _runner(work_dir, max_epochs)
    for hook in runner._hooks:
        if isinstance(hook, EPCLCheckpointHook):
            hook.max_keep_ckpts = -1
    return runner


def test_empty_pointer_without_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(FileNotFoundError, match=r'last_checkpoint is empty.*no other '
                                                r'complete checkpoint.*without --resume'):
        _runner(tmp_path, 1, resume=True).train()


def test_nothing_to_resume_starts_from_scratch(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) is None
    runner = _runner(tmp_path, 1, resume=True)
    runner.train()
    assert runner.epoch == 1


def test_explicit_truncated_checkpoint_is_a_clear_error(tmp_path):
    _runner(tmp_path, 1).train()
    _truncate(tmp_path / 'epoch_1.pth')
    with pytest.raises(FileNotFoundError, match=r'cannot resume from .*epoch_1\.pth: the '
                                                r'file is truncated'):
        _runner(tmp_path, 2, resume=True, load_from=str(tmp_path / 'epoch_1.pth')).train()
    with pytest.raises(FileNotFoundError, match='cannot load_from .*missing'):
        _runner(tmp_path / 'b', 1, load_from=str(tmp_path / 'nope.pth')).train()


def test_checkpoint_problem():
    assert checkpoint_problem('/nonexistent/x.pth') == 'missing'


def test_checkpoint_without_random_states_is_reported(tmp_path, capsys):
    _runner(tmp_path, 1).train()
    ckpt = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu')
    del ckpt['epcl_random_state']  # as written before EPCLRandomStateHook
    torch.save(ckpt, tmp_path / 'epoch_1.pth')
    capsys.readouterr()
    _runner(tmp_path, 2, resume=True).train()
    assert 'checkpoint without random states' in capsys.readouterr().out


_SCORES = itertools.count(1)


class _RisingScore(BaseMetric):
    """A score that rises at every validation, so each one makes a new best checkpoint."""

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        return dict(acc=float(next(_SCORES)))


def test_previous_best_removed_only_after_the_new_best(tmp_path, monkeypatch):
    def runner(max_epochs, **kwargs):
        return _runner(tmp_path, max_epochs, ckpt_kwargs=dict(save_best='acc', rule='greater'),
                       val_dataloader=dict(dataset=_Data(), batch_size=4, num_workers=0,
                                           sampler=dict(type='DefaultSampler',
                                                        shuffle=False),
                                           collate_fn=dict(type='default_collate')),
                       val_cfg=dict(), val_evaluator=[_RisingScore()], **kwargs)

    runner(1).train()
    assert (tmp_path / 'best_acc_epoch_1.pth').exists()
    _full_disk_at(monkeypatch, EPCLAtomicLocalBackend, 'best_acc_epoch_2.pth')
    with pytest.raises(OSError, match='No space'):
        runner(2, resume=True).train()
    # mmengine removes the previous best first; here it survives the failed write
    assert checkpoint_problem(str(tmp_path / 'best_acc_epoch_1.pth')) is None


def test_resume_ranks_only_checkpoint_names(tmp_path):
    """A foreign notes_v16.pth (a complete torch file) does not outrank epoch_2.pth."""
    _runner_keep_all(tmp_path, 2).train()
    torch.save({'notes': torch.zeros(1)}, tmp_path / 'notes_v16.pth')
    torch.save({'w': torch.zeros(1)}, tmp_path / 'epoch_2_backup.pth')
    (tmp_path / 'last_checkpoint').unlink()
    messages = []
    assert find_resumable_checkpoint(str(tmp_path), messages.append) == str(
        tmp_path / 'epoch_2.pth')
    assert "ignores ['epoch_2_backup.pth', 'notes_v16.pth']" in messages[0]
    resumed = _runner(tmp_path, 3, resume=True)
    resumed.train()
    assert resumed.epoch == 3


def test_checkpoints_get_the_mode_of_a_plain_save(tmp_path):
    umask = os.umask(0o027)
    try:
        _runner(tmp_path, 1).train()
        assert os.stat(tmp_path / 'epoch_1.pth').st_mode & 0o777 == 0o640  # not mkstemp's 600
        assert os.stat(tmp_path / 'last_checkpoint').st_mode & 0o777 == 0o640
        os.chmod(tmp_path / 'last_checkpoint', 0o604)  # an existing file keeps its mode
        atomic_write(b'x', tmp_path / 'last_checkpoint')
        assert os.stat(tmp_path / 'last_checkpoint').st_mode & 0o777 == 0o604
    finally:
        os.umask(umask)


def test_unfinished_writes_are_removed_at_the_next_start(tmp_path, capsys):
    _runner(tmp_path, 1).train()
    left = [tmp_path / '.epoch_2.pth.k2j_x9a1.partial',
            tmp_path / '.last_checkpoint.ab12cd34.partial']
    for path in left:
        path.write_bytes(b'PK half a checkpoint')
    (tmp_path / 'notes.partial').write_text('not ours')
    capsys.readouterr()
    _runner(tmp_path, 2, resume=True).train()
    assert not any(path.exists() for path in left)
    assert (tmp_path / 'notes.partial').exists()
    assert 'removed 2 unfinished checkpoint write(s)' in capsys.readouterr().out


def test_truncated_checkpoint_through_mmengine_loading_names_the_file(tmp_path):
    """mmengine's load_checkpoint (init_model, infer.py, tools using it): the path and
    the problem, not torch's bare PytorchStreamReader error."""
    from mmengine.runner.checkpoint import load_checkpoint
    _runner(tmp_path, 1).train()
    _truncate(tmp_path / 'epoch_1.pth')
    with pytest.raises(FileNotFoundError, match=r'cannot load .*epoch_1\.pth: the file is '
                                                r'truncated'):
        load_checkpoint(_Model(), str(tmp_path / 'epoch_1.pth'), map_location='cpu')
    torch.save({'w': 1}, tmp_path / 'plain.pth')  # other files still load
    assert torch.load(tmp_path / 'plain.pth') == {'w': 1}


def test_truncated_checkpoint_under_test_names_the_file(tmp_path):
    """tools/test.py's path: EPCLRunner.test() with load_from."""
    _runner(tmp_path, 1).train()
    _truncate(tmp_path / 'epoch_1.pth')
    loader = dict(dataset=_Data(), batch_size=4, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    runner = EPCLRunner(model=_Model(), work_dir=str(tmp_path / 'test'), test_dataloader=loader,
                        test_cfg=dict(), test_evaluator=[_RisingScore()],
                        load_from=str(tmp_path / 'epoch_1.pth'), default_scope='mmdet3d',
                        experiment_name=f'safety_{next(_RUN_IDS)}')
    with pytest.raises(FileNotFoundError, match=r'cannot load_from .*epoch_1\.pth: the file '
                                                r'is truncated'):
        runner.test()


@pytest.mark.parametrize('scheduled', [False, True])
def test_resume_with_another_lr_is_reported(tmp_path, capsys, scheduled):
    schedule = dict(param_scheduler=[dict(type='LinearLR', start_factor=0.5, by_epoch=True,
                                          begin=0, end=3)]) if scheduled else {}
    _runner(tmp_path, 1, **schedule).train()
    capsys.readouterr()
    _runner(tmp_path, 2, resume=True, **schedule).train()  # the same lr: no word
    assert 'keeps the learning rates' not in capsys.readouterr().out
    resumed = _runner(tmp_path, 3, lr=0.01, resume=True, **schedule)
    resumed.train()
    out = capsys.readouterr().out
    assert 'keeps the learning rates of' in out and 'group 0: 0.1 in the checkpoint, 0.01 in ' \
        'the config' in out and 'load_from' in out
    # mmengine's behaviour, which the warning describes: the checkpoint's rate goes on
    assert resumed.optim_wrapper.optimizer.param_groups[0].get(
        'initial_lr', resumed.optim_wrapper.optimizer.param_groups[0]['lr']) == 0.1
