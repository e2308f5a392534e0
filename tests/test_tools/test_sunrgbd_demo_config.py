"""configs/epcl_sunrgbd_det_demo.py trains and evaluates through mmdet3d's SUNRGBDDataset
and IndoorMetric (a few iterations on a handful of synthetic scenes)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from epcl_mmdet3d.datasets.synthetic import create_synthetic_sunrgbd

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_sunrgbd_demo_trains_and_evaluates(tmp_path):
    data_root = str(tmp_path / 'data') + '/'
    create_synthetic_sunrgbd(data_root, num_train=4, num_val=2, num_points=4000, seed=0)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_sunrgbd_det_demo.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.batch_size = 2
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        dataset = dataset.get('dataset', dataset)  # RepeatDataset
        dataset.data_root = data_root
    for t in cfg.train_dataloader.dataset.dataset.pipeline:
        if t['type'] == 'EPCLRandomCuboidCrop':
            t['min_points'] = 2000  # the files here hold 4000 points
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = 1
    cfg.param_scheduler = []
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert {'mAP_0.25', 'mAP_0.50'} <= set(metrics)
    assert osp.exists(osp.join(cfg.work_dir, 'model_selection.json'))
