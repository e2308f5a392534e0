"""The segmentor's and the classifier's point inputs: float64, raw tensors, lists."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _build(config, tiny_clip_checkpoint):
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    torch.manual_seed(0)
    cfg.model.backbone.clip.pretrained = tiny_clip_checkpoint
    return MODELS.build(cfg.model).eval()


def _seeded(fn, *args):
    """Slide inference samples patches at random: the same draw for every input form."""
    np.random.seed(0)
    torch.manual_seed(0)
    return fn(*args)


def test_segmentor(tiny_clip_checkpoint):
    seg = _build('epcl_s3dis_seg_demo.py', tiny_clip_checkpoint)
    points = torch.rand(4096, 6)
    sample = Det3DDataSample(metainfo=dict(lidar_path='room.bin'))
    ref = _seeded(seg.predict, dict(points=[points]), [sample])[0].pred_pts_seg.pts_semantic_mask
    for given in ([points.double()], points[None]):  # float64 list, (B, N, C) batch
        out = _seeded(seg.predict, dict(points=given), [sample])[0].pred_pts_seg
        out = out.pts_semantic_mask
        assert torch.equal(out, ref)
    with pytest.raises(ValueError, match=r'one tensor of shape \(4096, 6\)'):
        seg.predict(dict(points=points), [sample])
    with pytest.raises(ValueError, match=r'one tensor of shape \(4096, 6\)'):
        seg.loss(dict(points=points), [sample])


def test_classifier(tiny_clip_checkpoint):
    cls = _build('epcl_modelnet40_cls_demo.py', tiny_clip_checkpoint)
    cloud = torch.rand(1024, 3)
    ref = cls.predict(cloud[None])[0].pred_label.score
    assert torch.equal(cls.predict([cloud])[0].pred_label.score, ref)
    assert torch.equal(cls.predict([cloud.double()])[0].pred_label.score, ref)
    with pytest.raises(ValueError, match=r'one tensor of shape \(1024, 3\)'):
        cls.predict(cloud)
