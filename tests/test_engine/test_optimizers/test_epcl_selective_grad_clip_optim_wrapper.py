import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from torch import nn

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)
from epcl_mmdet3d.engine import EPCLSelectiveGradClipOptimWrapper


class _Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.clip = nn.Linear(4, 4)  # stands in for the unfrozen tower
        self.head = nn.Linear(4, 2)


def _grads(model, tower_scale):
    model.zero_grad()
    model.backbone.clip.weight.grad = torch.full((4, 4), tower_scale)
    model.backbone.clip.bias.grad = torch.zeros(4)
    model.head.weight.grad = torch.full((2, 4), 0.1)
    model.head.bias.grad = torch.zeros(2)


@pytest.mark.parametrize('constructor', ['DefaultOptimWrapperConstructor',
                                         'EPCLOptimWrapperConstructor'])
def test_tower_gets_its_lr_and_stays_out_of_the_clip(constructor):
    model = _Model()
    wrapper = build_optim_wrapper(model, dict(
        type='EPCLSelectiveGradClipOptimWrapper', constructor=constructor,
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04),
        clip_grad=dict(max_norm=0.1, norm_type=2),
        paramwise_cfg=dict(custom_keys={
            'backbone.clip': dict(lr_mult=0.1, skip_grad_clip=True)})))
    tower = {id(p) for p in model.backbone.clip.parameters()}
    for group in wrapper.optimizer.param_groups:
        in_tower = {id(p) for p in group['params']} <= tower
        assert group.get('skip_grad_clip', False) == in_tower
        if in_tower:
            assert group['lr'] == pytest.approx(1e-4)
    # the head's gradient (norm 0.2) is clipped to 0.1 whatever the tower's size
    for tower_scale in (0.0, 100.0):
        _grads(model, tower_scale)
        wrapper._clip_grad()
        assert model.head.weight.grad.norm().item() == pytest.approx(0.1, rel=1e-3)
        assert model.backbone.clip.weight.grad.max().item() == tower_scale  # untouched


def test_plain_optim_wrapper_clips_the_head_by_the_global_norm():
    # what the issue describes: one global clip shrinks the head when the tower is large
    model = _Model()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3),
        clip_grad=dict(max_norm=0.1, norm_type=2)))
    _grads(model, 100.0)
    wrapper._clip_grad()
    assert model.head.weight.grad.norm().item() < 1e-3


def test_errors_say_what_to_set():
    with pytest.raises(ValueError, match='skip_grad_clip'):
        build_optim_wrapper(_Model(), dict(
            type='EPCLSelectiveGradClipOptimWrapper', optimizer=dict(type='AdamW', lr=1e-3),
            clip_grad=dict(max_norm=0.1)))
    with pytest.raises(ValueError, match='clip_grad'):
        build_optim_wrapper(_Model(), dict(
            type='EPCLSelectiveGradClipOptimWrapper', optimizer=dict(type='AdamW', lr=1e-3),
            clip_grad=None))


def test_the_unfrozen_ablation_config_builds_it():
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'ablations',
                                   'epcl_scannet_det_clip-unfrozen.py'))
    model = _Model()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper) is EPCLSelectiveGradClipOptimWrapper
    tower = {id(p) for p in model.backbone.clip.parameters()}
    assert all(g.get('skip_grad_clip', False) == ({id(p) for p in g['params']} <= tower)
               for g in wrapper.optimizer.param_groups)


def test_old_name_still_builds_and_warns(capsys):
    """'EPCLSelectiveClipOptimWrapper' (before the rename) works for one more release."""
    MMLogger.get_instance('epcl_test_deprecated_wrapper')
    model = _Model()
    with pytest.warns(DeprecationWarning, match='EPCLSelectiveGradClipOptimWrapper'):
        wrapper = build_optim_wrapper(model, dict(
            type='EPCLSelectiveClipOptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04),
            clip_grad=dict(max_norm=0.1, norm_type=2),
            paramwise_cfg=dict(custom_keys={'backbone.clip': dict(skip_grad_clip=True)})))
    assert isinstance(wrapper, EPCLSelectiveGradClipOptimWrapper)
    assert "'EPCLSelectiveClipOptimWrapper' is deprecated" in capsys.readouterr().out
    _grads(model, 100.0)
    wrapper._clip_grad()
    assert model.head.weight.grad.norm().item() == pytest.approx(0.1, rel=1e-3)
