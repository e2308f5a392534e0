import itertools
import json
import logging
import os
import types

import pytest
from mmdet3d.registry import HOOKS
from mmengine.logging import MessageHub

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)

_HUBS = itertools.count()


def _runner(tmp_path, epoch, hub=None):
    return types.SimpleNamespace(epoch=epoch, iter=epoch * 10, rank=0, work_dir=str(tmp_path),
                                 logger=logging.getLogger('epcl_test_selection'),
                                 message_hub=hub or MessageHub(f'selection_{next(_HUBS)}'))


def test_last_and_best_are_both_reported(tmp_path):
    hook = HOOKS.build(dict(type='EPCLModelSelectionHook', key='mAP_0.50'))
    for epoch, ap in ((10, 0.30), (20, 0.42), (30, 0.38)):
        hook.after_val_epoch(_runner(tmp_path, epoch), {'mAP_0.50': ap, 'mAP_0.25': ap + 0.2})
    summary = json.loads((tmp_path / 'model_selection.json').read_text())
    assert summary['last']['epoch'] == 30 and summary['last']['metrics']['mAP_0.50'] == 0.38
    assert summary['best']['epoch'] == 20 and summary['best']['metrics']['mAP_0.50'] == 0.42
    assert 'mAP_0.50' in summary['rule']


def test_less_is_better_and_bad_key(tmp_path):
    hook = HOOKS.build(dict(type='EPCLModelSelectionHook', key='loss', rule='less'))
    hook.after_val_epoch(_runner(tmp_path, 1), {'loss': 2.0})
    hook.after_val_epoch(_runner(tmp_path, 2), {'loss': 1.0})
    assert hook.best['epoch'] == 2
    with pytest.raises(KeyError, match='mIoU'):
        hook.after_val_epoch(_runner(tmp_path, 3), {'mIoU': 0.5})
    with pytest.raises(ValueError, match='rule'):
        HOOKS.build(dict(type='EPCLModelSelectionHook', key='x', rule='max'))


def test_state_comes_back_on_resume(tmp_path):
    """The best of the evaluations before a resume still counts after it."""
    hook = HOOKS.build(dict(type='EPCLModelSelectionHook', key='acc'))
    hub = MessageHub('selection_before_kill')
    for epoch, acc in ((1, 0.5), (2, 0.7)):
        hook.after_val_epoch(_runner(tmp_path, epoch, hub), {'acc': acc})
    saved = hub.state_dict()  # what a checkpoint holds
    resumed_hub = MessageHub('selection_after_resume')
    resumed_hub.load_state_dict(saved)
    resumed = HOOKS.build(dict(type='EPCLModelSelectionHook', key='acc'))
    resumed.before_train(_runner(tmp_path, 2, resumed_hub))
    resumed.after_val_epoch(_runner(tmp_path, 3, resumed_hub), {'acc': 0.6})
    summary = json.loads((tmp_path / 'model_selection.json').read_text())
    assert summary['best']['epoch'] == 2 and summary['last']['epoch'] == 3
    # another key: the earlier evaluations are not compared with the new ones
    other = HOOKS.build(dict(type='EPCLModelSelectionHook', key='loss', rule='less'))
    other.before_train(_runner(tmp_path, 2, resumed_hub))
    assert other.best is None


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    hook = HOOKS.build(dict(type='EPCLModelSelectionHook', key='acc'))
    hook.after_val_epoch(_runner(tmp_path, 1), {'acc': 0.5})
    before = (tmp_path / 'model_selection.json').read_text()

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space'):
        hook.after_val_epoch(_runner(tmp_path, 2), {'acc': 0.7})
    assert (tmp_path / 'model_selection.json').read_text() == before
