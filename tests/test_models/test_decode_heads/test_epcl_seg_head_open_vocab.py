"""EPCLSegHead's open-vocabulary classifier option: the text classifier segments into any
names (the default conv_seg path is pinned in test_epcl_seg_head.py)."""
import os.path as osp

import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, PointData
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TEXT_CFG = osp.join(ROOT, 'configs', 'open_vocabulary', 'epcl_s3dis_seg_demo_text.py')


def _text_segmentor():
    cfg = Config.fromfile(TEXT_CFG)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def test_text_classifier_segments_into_any_names():
    model = _text_segmentor()
    head = model.decode_head
    assert model.open_vocabulary and head.conv_seg is None
    assert not [k for k in model.state_dict() if 'conv_seg' in k or 'text_embeds' in k]
    model.set_class_names(['floor', 'wall', 'chair'])
    assert model.num_classes == head.num_classes == 3
    points = torch.rand(2, 512, 9)
    feats = model.extract_feat(points)
    labels = torch.randint(0, 3, (2, 512))
    labels[:, :20] = 13  # ignored (the config's ignore_index)
    samples = []
    for lab in labels:
        sample = Det3DDataSample()
        sample.gt_pts_seg = PointData(pts_semantic_mask=lab)
        samples.append(sample)
    model.train()
    losses = head.loss(feats, samples, train_cfg=None)
    losses['loss_sem_seg'].backward()
    assert head.cls_classifier.proj.weight.grad is not None
    model.eval()
    model.set_class_names(['plant', 'whiteboard', 'chair', 'lamp', 'door'])
    with torch.no_grad():
        assert head(model.extract_feat(points)).shape == (2, 5, 512)
    fixed = MODELS.build(Config.fromfile(
        osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')).model)
    with pytest.raises(ValueError, match='fixed 13-class classifier'):
        fixed.set_class_names(['plant'])
