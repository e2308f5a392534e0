"""EPCLClassNamesHook through a real Runner: sets missing names, rejects wrong ones."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLASSES = ['sphere', 'cube', 'torus']


def _cfg(tmp_path, clip_checkpoint, class_names):
    data_root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(data_root, CLASSES, train_per_class=1, test_per_class=2,
                             num_points=64)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.num_classes = 3
    cfg.model.class_names = class_names
    cfg.model.backbone.clip.pretrained = clip_checkpoint
    cfg.model.backbone.tokenizer.update(num_tokens=8, num_neighbors=8)
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.pipeline[0].num_points = 64
    for key in ('train_dataloader', 'val_dataloader', 'train_cfg', 'val_cfg',
                'optim_wrapper', 'param_scheduler', 'val_evaluator'):
        cfg.pop(key)
    return cfg


def test_hook_sets_names_from_the_data_set(tmp_path, tiny_clip_checkpoint):
    runner = Runner.from_cfg(_cfg(tmp_path, tiny_clip_checkpoint, None))
    assert not bool(runner.model.text_align.text_ready)
    metrics = runner.test()
    assert runner.model.class_names == CLASSES
    assert bool(runner.model.text_align.text_ready)
    assert 0 <= metrics['cls/overall_acc'] <= 100


def test_hook_rejects_names_that_differ(tmp_path, tiny_clip_checkpoint):
    runner = Runner.from_cfg(_cfg(tmp_path, tiny_clip_checkpoint,
                                  ['cube', 'sphere', 'torus']))
    with pytest.raises(ValueError, match="differ from the data set's classes"):
        runner.test()
