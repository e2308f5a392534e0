"""The demo configs log often enough for mmdet3d's tools/analysis_tools/analyze_logs.py:
its cal_train_time drops the first record of every epoch, so an epoch needs two or more
(one per epoch gave 'nan s/iter')."""
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# iterations per epoch of the demos as tools/demo.py (and the configs' comments) set them
# up: 256 synthetic scenes, batch 8
DEMOS = {'epcl_scannet_det_demo.py': 256 // 8, 'epcl_sunrgbd_det_demo.py': 256 // 8}


@pytest.mark.parametrize('name', sorted(DEMOS))
def test_a_demo_epoch_holds_several_log_records(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    assert cfg.train_dataloader.batch_size == 8
    interval = cfg.default_hooks.logger.interval
    assert DEMOS[name] // interval >= 2, f'{name}: one log record per epoch'
