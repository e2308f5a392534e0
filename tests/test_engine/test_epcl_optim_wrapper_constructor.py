import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

import epcl_mmdet3d  # noqa: F401

OPTIM = dict(constructor='EPCLOptimWrapperConstructor',
             optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04))


def test_only_trainable_parameters(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    wrapper = build_optim_wrapper(enc, OPTIM)
    optimised = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    trainable = {id(p) for p in enc.parameters() if p.requires_grad}
    assert optimised == trainable
    assert not optimised & {id(p) for p in enc.clip.parameters()}


def test_no_decay_groups(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    wrapper = build_optim_wrapper(enc, OPTIM)
    names = {id(p): n for n, p in enc.named_parameters()}
    decay_of = {names[id(p)]: g['weight_decay']
                for g in wrapper.optimizer.param_groups for p in g['params']}
    assert decay_of['tokenizer.encoder.first.fc1.weight'] == 0.04
    assert decay_of['task_token.mlp.0.weight'] == 0.04
    for no_decay in ('tokenizer.encoder.first.fc1.bias',  # bias
                     'tokenizer.encoder.first.norm.weight',  # norm
                     'task_token.embedding.weight',  # task tokens
                     'tokenizer.pos_embed.0.weight'):  # position embedding
        assert decay_of[no_decay] == 0.0, no_decay


def test_custom_keys(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    cfg = dict(OPTIM, paramwise_cfg=dict(custom_keys={'task_token': dict(lr_mult=0.1)}))
    wrapper = build_optim_wrapper(enc, cfg)
    lrs = {g['tag']: g['lr'] for g in wrapper.optimizer.param_groups}
    assert lrs['custom:task_token'] == pytest.approx(1e-4)


def test_frozen_parameter_that_requires_grad_is_refused(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    enc.clip.visual.ln_pre.weight.requires_grad_(True)
    with pytest.raises(ValueError, match=r'clip\.visual\.ln_pre\.weight belongs to a frozen'):
        build_optim_wrapper(enc, OPTIM)


def test_unfrozen_clip_is_optimised(tiny_encoder_cfg):
    cfg = dict(tiny_encoder_cfg)
    cfg['clip'] = dict(cfg['clip'], frozen=False)
    enc = MODELS.build(cfg)
    wrapper = build_optim_wrapper(enc, OPTIM)
    optimised = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    assert {id(p) for p in enc.clip.parameters()} <= optimised


def test_logs_counts(tiny_encoder_cfg, capsys):
    MMLogger.get_instance('epcl_test_counts')
    enc = MODELS.build(tiny_encoder_cfg)
    build_optim_wrapper(enc, OPTIM)
    trainable = sum(p.numel() for p in enc.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in enc.clip.parameters())
    text = capsys.readouterr().out
    assert f'{trainable:,} trainable' in text and f'{frozen:,} frozen' in text


@pytest.mark.cuda
def test_amp_optim_wrapper(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg).cuda()
    wrapper = build_optim_wrapper(enc, dict(OPTIM, type='AmpOptimWrapper'))
    with wrapper.optim_context(enc):
        out = enc(torch.rand(2, 200, 3, device='cuda'))
    wrapper.update_params(out['cls_feat'].float().square().mean())
    assert type(wrapper).__name__ == 'AmpOptimWrapper'
