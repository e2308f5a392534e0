"""End to end: a few training iterations and a sliding-window evaluation with SegMetric."""
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from epcl_mmdet3d.datasets.synthetic import create_synthetic_s3dis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DEMO_CFG = osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')


@pytest.mark.slow
def test_demo_config_trains_and_evaluates(tmp_path, tiny_clip_checkpoint):
    data_root = str(tmp_path / 'data') + '/'
    cfg = Config.fromfile(DEMO_CFG)
    create_synthetic_s3dis(data_root, rooms_per_area=1, density=60,
                      num_points=cfg.num_points)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.model.backbone.clip.pretrained = tiny_clip_checkpoint
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=6, val_interval=6)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=6,
                                        by_epoch=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    for key in ('miou', 'acc', 'acc_cls'):
        assert key in metrics and not math.isnan(metrics[key])
    assert osp.exists(osp.join(cfg.work_dir, 'iter_6.pth'))
