"""The base / novel detection protocol through a real Runner: training on base classes
(novel boxes labelled -1, kept, given no loss), EPCLClassNamesHook naming the model from
each data set's metainfo, and EPCLIndoorMetric on all classes and on the novel ones with
the same checkpoint (the demo-sized protocol config, tiny random CLIP)."""
import copy
import os.path as osp

import numpy as np
import torch
from mmdet3d.registry import DATASETS
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet
from epcl_mmdet3d.engine import build_runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CFG = osp.join(ROOT, 'configs', 'open_vocabulary', 'epcl_scannet_det_demo_base_novel.py')
BASE = ['cabinet', 'bed', 'chair', 'table']
NOVEL = ['sofa', 'bookshelf']
ALL = ['cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf']


def _cfg(tmp_path, data_root):
    cfg = Config.fromfile(CFG)
    cfg.work_dir = str(tmp_path / 'work')
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = data_root
        loader.batch_size = 2
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.train_dataloader.batch_size = 2
    cfg.model.backbone.tokenizer.num_tokens = 32
    cfg.model.bbox_head.num_queries = 16
    cfg.train_cfg.update(max_epochs=1, val_interval=1)  # validation inside training
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0,
                                end=1)]
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    return cfg


def test_base_novel_protocol_trains_on_base_and_evaluates_novel_and_all(tmp_path):
    data_root = str(tmp_path / 'data') + '/'
    create_synthetic_scannet(data_root, num_train=4, num_val=4, num_points=3000, seed=0)
    cfg = _cfg(tmp_path, data_root)

    # the training set labels the novel boxes -1 and keeps them (mmdet3d's ScanNetDataset
    # does not drop "don't care" boxes)
    train_set = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset.dataset))
    labels = np.concatenate([train_set.get_data_info(i)['ann_info']['gt_labels_3d']
                             for i in range(len(train_set))])
    assert (labels == -1).any() and set(labels[labels >= 0]) <= set(range(len(BASE)))

    runner = build_runner(cfg)
    runner.train()
    model = runner.model
    assert model.bbox_head.criterion.ignored_boxes == 'mask'
    assert model.class_names == BASE  # set back after the validation on all classes
    assert model.bbox_head.criterion.num_classes == len(BASE)

    metrics = runner.test()  # all 6 classes, named by the hook from the test set
    assert model.class_names == ALL
    assert np.isfinite(metrics['mAP_0.25'])
    evaluated = [c for c in ALL if c not in metrics['classes_left_out']]
    assert any(c in NOVEL for c in evaluated)
    assert all(f'{c}_AP_0.25' in metrics for c in evaluated)
    ckpt = osp.join(cfg.work_dir, 'epoch_1.pth')
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert not [k for k in saved if 'text_embeds' in k]

    # the same checkpoint on the novel classes only: a config change, no retraining
    novel = _cfg(tmp_path, data_root)
    novel.work_dir = str(tmp_path / 'work_novel')
    novel.test_dataloader.dataset.metainfo = dict(classes=NOVEL)
    novel.load_from = ckpt
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        novel.pop(key)
    runner = build_runner(novel)
    metrics = runner.test()
    assert runner.model.class_names == NOVEL
    assert set(metrics['classes_left_out']) | {
        k[:-len('_AP_0.25')] for k in metrics if k.endswith('_AP_0.25') and k != 'mAP_0.25'
    } <= set(NOVEL)
    assert np.isfinite(metrics['mAP_0.25'])
