"""Slow: a short Runner training on synthetic shapes beats chance by far."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLASSES = ['sphere', 'cube', 'cylinder', 'cone', 'torus', 'pyramid', 'table',
           'cross', 'board', 'spring']


@pytest.mark.slow
def test_runner_training_on_synthetic_shapes(tmp_path, tiny_clip_checkpoint):
    data_root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(data_root, CLASSES, train_per_class=24, test_per_class=8,
                             num_points=256, seed=1)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.num_classes = len(CLASSES)
    cfg.model.class_names = None  # EPCLClassNamesHook takes them from the data set
    cfg.model.backbone.clip.pretrained = tiny_clip_checkpoint
    cfg.model.backbone.tokenizer.update(num_tokens=16, num_neighbors=16)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
        cfg[key].dataset.pipeline[0].num_points = 256
    cfg.train_dataloader.batch_size = 24
    cfg.train_cfg.max_epochs = 10
    cfg.train_cfg.val_interval = 10
    cfg.param_scheduler[1].T_max = 9
    cfg.param_scheduler[1].end = 10
    cfg.randomness = dict(seed=0)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    # chance is 10 %
    assert metrics['cls/overall_acc'] > 50, metrics
    assert runner.model.class_names == CLASSES
