"""EPCLSegHead's open-vocabulary classifier option: the default conv_seg path is
numerically what it was; the text classifier segments into any names."""
import os.path as osp

import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, PointData
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TEXT_CFG = osp.join(ROOT, 'configs', 'open_vocabulary', 'epcl_s3dis_seg_demo_text.py')


def _encoder():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='EPCLEncoder',
        tokenizer=dict(type='EPCLHierarchicalTokenizer', num_points=(64, 32, 16),
                       num_neighbors=(8, 8, 8), in_channels=9,
                       level_channels=(16, 32), level_hidden=((16, 16), (16, 16)),
                       token_hidden=(16, 32)),
        task_token=dict(type='EPCLTaskToken', num_tokens=3),
        clip=dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny', pretrained=None,
                  embed_dropout=0.0)))


def test_default_conv_seg_is_numerically_unchanged():
    """Figures recorded on the code before the text option existed (seed 0)."""
    enc = _encoder()
    head = MODELS.build(dict(type='EPCLSegHead', embed_dims=enc.embed_dims,
                             skip_channels=(9, 16, 32),
                             fp_channels=((32, 32), (32, 32), (32, 16)), channels=16,
                             num_classes=13, ignore_index=13, dropout_ratio=0.0))
    head.init_weights()
    head.eval()
    assert head.cls_classifier is None and head.conv_seg.out_channels == 13
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        logits = head(enc(torch.rand(2, 128, 9, generator=gen)))
    assert logits.double().sum().item() == pytest.approx(88.63074754784611, abs=1e-4)
    assert logits[0, :3, 0].tolist() == pytest.approx(
        [-0.16455592215061188, 0.02241150289773941, 0.21009978652000427], abs=1e-6)


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
