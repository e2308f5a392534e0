"""configs/mmdet3d_models: mmdet3d's own models with the EPCL backbone, by a config delta.

The full configs keep the base's channel numbers; each demo pair (the base model with
its PointNet++ backbone, and with EPCL) trains a step and is evaluated through
mmdet3d's metric on synthetic rooms.
"""
import math
import os.path as osp

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.config import Config
from mmengine.runner import Runner

from epcl_mmdet3d.datasets.synthetic import create_synthetic_s3dis, create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG_DIR = osp.join(ROOT, 'configs', 'mmdet3d_models')
FULL = {
    # config: (in_channels of the base's pipeline, the base head's input width)
    'votenet_epcl_scannet_det.py': (4, 256),
    'groupfree3d_epcl_scannet_det.py': (3, 288),
    'pointnet2_epcl_s3dis_seg.py': (9, 512),
}
DEMOS = [
    ('votenet_pointnet2_scannet_det_demo.py', 'scannet', 'mAP_0.25'),
    ('votenet_epcl_scannet_det_demo.py', 'scannet', 'mAP_0.25'),
    ('groupfree3d_pointnet2_scannet_det_demo.py', 'scannet', 'mAP_0.25'),
    ('groupfree3d_epcl_scannet_det_demo.py', 'scannet', 'mAP_0.25'),
    ('pointnet2_pointnet2_s3dis_seg_demo.py', 's3dis', 'miou'),
    ('pointnet2_epcl_s3dis_seg_demo.py', 's3dis', 'miou'),
]


@pytest.mark.parametrize('name', sorted(FULL))
def test_full_config_is_the_base_with_another_backbone(name, tiny_clip_cfg):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    in_channels, width = FULL[name]
    backbone = cfg.model.backbone
    assert backbone.type == 'EPCLPointNet2Backbone'
    assert (backbone.in_channels, backbone.out_channels) == (in_channels, width)
    assert cfg.optim_wrapper.constructor == 'EPCLOptimWrapperConstructor'
    # with the tiny CLIP in place of ViT-B/16, the base's head runs on its output
    backbone.encoder.clip = tiny_clip_cfg
    model = MODELS.build(cfg.model)
    points = torch.rand(2, 2048, in_channels)
    if cfg.model.type == 'EncoderDecoder3D':  # the decode head's logits per point
        logits = model.decode_head(model.extract_feat(points))
        assert logits.shape == (2, 13, 2048)
    else:  # detectors: the head's seeds, then its predictions
        feats = model.extract_feat(dict(points=list(points)))
        assert feats['fp_features'][-1].shape == (2, width, 1024)
        assert any(k.endswith('obj_scores') for k in model.bbox_head(feats))


@pytest.fixture(scope='module')
def synthetic_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    scannet = str(root / 'scannet') + '/'
    create_synthetic_scannet(scannet, num_train=2, num_val=2, num_points=5000, seed=1)
    s3dis = str(root / 's3dis') + '/'
    create_synthetic_s3dis(s3dis, rooms_per_area=1, density=60, num_points=512)
    return dict(scannet=scannet, s3dis=s3dis)


def _set_data_root(cfg, root):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        while 'dataset' in dataset:  # RepeatDataset
            dataset = dataset.dataset
        dataset.data_root = root


@pytest.mark.slow
@pytest.mark.parametrize('name,data,metric', DEMOS, ids=[d[0] for d in DEMOS])
def test_demo_trains_a_step_and_evaluates(name, data, metric, synthetic_data, tmp_path,
                                          tiny_clip_checkpoint):
    cfg = Config.fromfile(osp.join(CFG_DIR, 'demo', name))
    _set_data_root(cfg, synthetic_data[data])
    if cfg.model.backbone.type == 'EPCLPointNet2Backbone':
        cfg.model.backbone.encoder.clip.pretrained = tiny_clip_checkpoint
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    runner.train()
    changed = [n for n, p in model.named_parameters() if p.requires_grad
               and not torch.equal(before[n], p.detach())]
    assert any(n.startswith('backbone.') for n in changed), 'the backbone did not train'
    assert any(not n.startswith('backbone.') for n in changed), 'the head did not train'
    metrics = runner.val_loop.run()
    assert metric in metrics
    if metric == 'miou':
        assert not math.isnan(metrics[metric])
    else:  # IndoorMetric gives NaN to classes absent from the two rooms held out
        aps = [v for k, v in metrics.items() if k.endswith('_AP_0.25')]
        assert aps and any(not math.isnan(v) for v in aps)
