"""No parent's init_cfg reaches the frozen CLIP towers through init_weights()."""
import os.path as osp

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones import FrozenCLIPBackbone

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# what mmdet3d users often write on a detector or classifier; the second reaches every
# module with a weight (wholemodule semantics through `override` would be the same walk)
INIT_CFGS = [dict(type='Xavier', layer='Linear'),
             dict(type='Constant', val=0.25, layer=['Linear', 'LayerNorm'])]


def _demo_model_cfg(name):
    init_default_scope('mmdet3d')
    return Config.fromfile(osp.join(ROOT, 'configs', name)).model


def _parents(tiny_encoder_cfg):
    """(name, model config, path of the EPCLEncoder inside it) for every parent type."""
    det = _demo_model_cfg('epcl_scannet_det_demo.py')
    seg = _demo_model_cfg('epcl_s3dis_seg_demo.py')
    cls = _demo_model_cfg('epcl_modelnet40_cls_demo.py')
    assert cls.backbone.clip.with_text  # the text tower is covered too
    return [('EPCLEncoder', dict(tiny_encoder_cfg), None),
            ('EPCL3DETRDetector', det, 'backbone'),
            ('EPCLEncoderDecoder3D', seg, 'backbone'),
            ('EPCLClassifier', cls, 'backbone')]


def _frozen_state(clip: FrozenCLIPBackbone):
    return {name: p.detach().clone() for name, p in clip.named_parameters()
            if any(p is q for q in clip.frozen_parameters())}


@pytest.mark.parametrize('init_cfg', INIT_CFGS, ids=lambda c: c['type'])
def test_parent_init_cfg_never_reaches_the_frozen_tower(tiny_encoder_cfg, init_cfg):
    for name, cfg, encoder_path in _parents(tiny_encoder_cfg):
        cfg = dict(cfg, init_cfg=init_cfg)
        if encoder_path is not None:  # the encoder under the model gets one too
            cfg[encoder_path] = dict(cfg[encoder_path], init_cfg=init_cfg)
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        assert type(model).__name__ == name
        encoder = model if encoder_path is None else getattr(model, encoder_path)
        clip = encoder.clip
        frozen = _frozen_state(clip)
        assert frozen, name
        trainable = {n: p.detach().clone() for n, p in model.named_parameters()
                     if p.requires_grad and n.endswith('weight') and p.dim() == 2}
        model.init_weights()
        for key, before in frozen.items():
            assert torch.equal(dict(clip.named_parameters())[key], before), (name, key)
        # the init did run on the trainable parts: the guard is not a no-op init
        changed = [n for n, p in model.named_parameters() if n in trainable
                   and not torch.equal(p, trainable[n])]
        assert changed, name


def test_apply_still_reaches_our_own_modules_and_the_unfrozen_flag_is_kept(tiny_clip_cfg):
    clip = MODELS.build(dict(tiny_clip_cfg, with_text=True))
    seen = []
    clip.apply(lambda m: seen.append(m))
    assert clip.embed_dropout in seen and clip in seen
    assert not any(m is clip.visual or m is clip.text for m in seen)
    assert not any(isinstance(m, nn.Linear) for m in seen)
