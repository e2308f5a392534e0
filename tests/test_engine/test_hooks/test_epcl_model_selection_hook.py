import json
import types

import pytest
from mmdet3d.registry import HOOKS

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)


def _runner(tmp_path, epoch):
    return types.SimpleNamespace(epoch=epoch, iter=epoch * 10, rank=0, work_dir=str(tmp_path))


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
