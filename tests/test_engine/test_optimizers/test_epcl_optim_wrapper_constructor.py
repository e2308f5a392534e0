import os.path as osp

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
from torch import nn

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine.optimizers import EPCLOptimWrapperConstructor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

OPTIM = dict(constructor='EPCLOptimWrapperConstructor',
             optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04))


class _Toy(nn.Module):
    """Every kind of parameter mmengine's rules tell apart, plus a frozen part."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8),
                                  nn.Conv2d(8, 8, 3, groups=8), nn.GroupNorm(2, 8))
        self.embedding = nn.Embedding(5, 8)
        self.pos_embed = nn.Parameter(torch.zeros(1, 5, 8))
        self.cls_token = nn.Parameter(torch.zeros(8))
        self.head = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 3))
        self.head.scale = nn.Parameter(torch.ones(3))
        self.frozen = nn.Linear(8, 8)
        self.frozen.requires_grad_(False)


PARAMWISE_CFGS = [
    None,  # the defaults only
    dict(bias_lr_mult=2.0, bias_decay_mult=0.5, norm_decay_mult=0.1,
         dwconv_decay_mult=0.3, flat_decay_mult=0.7),
    dict(custom_keys={'head': dict(lr_mult=0.1, decay_mult=2.0),
                      'head.2': dict(lr_mult=0.5)}, bias_lr_mult=3.0),
    dict(custom_keys={'stem': dict(lr_mult=0.2, betas=(0.8, 0.9))},
         norm_decay_mult=1.0, bias_decay_mult=1.0, flat_decay_mult=1.0,
         dcn_offset_lr_mult=0.1),
    dict(custom_keys={'embed': dict(decay_mult=0.5), 'pos_embed': dict(decay_mult=3.0)}),
]


def _settings(optimizer, model):
    """{parameter name: its param group's settings} (without params / our tag)."""
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: {k: v for k, v in g.items() if k not in ('params', 'tag')}
            for g in optimizer.param_groups for p in g['params']}


@pytest.mark.parametrize('paramwise_cfg', PARAMWISE_CFGS)
def test_same_settings_as_mmengine(paramwise_cfg):
    """Each trainable parameter gets what mmengine's own constructor gives it."""
    model = _Toy()
    wrapper_cfg = dict(type='OptimWrapper', optimizer=OPTIM['optimizer'])
    ours = EPCLOptimWrapperConstructor(wrapper_cfg, paramwise_cfg)
    # the reference gets our effective cfg (the config's merged over our defaults)
    reference = DefaultOptimWrapperConstructor(wrapper_cfg, ours.paramwise_cfg)
    got = _settings(ours(model).optimizer, model)
    want = _settings(reference(model).optimizer, model)
    assert set(got) == {n for n, p in model.named_parameters() if p.requires_grad}
    assert got == want
    assert len(ours(model).optimizer.param_groups) < len(got)  # grouped, not one per tensor


def test_defaults_in_mmengine_terms():
    ours = EPCLOptimWrapperConstructor(dict(optimizer=OPTIM['optimizer']))
    assert ours.paramwise_cfg['bias_decay_mult'] == 0.0
    assert ours.paramwise_cfg['norm_decay_mult'] == 0.0
    assert ours.paramwise_cfg['flat_decay_mult'] == 0.0
    assert ours.paramwise_cfg['custom_keys']['pos_embed'] == dict(decay_mult=0.0)
    # overriding one default keeps the others
    ours = EPCLOptimWrapperConstructor(
        dict(optimizer=OPTIM['optimizer']),
        dict(bias_decay_mult=1.0, custom_keys={'head': dict(lr_mult=0.1)}))
    assert ours.paramwise_cfg['bias_decay_mult'] == 1.0
    assert ours.paramwise_cfg['norm_decay_mult'] == 0.0
    assert set(ours.paramwise_cfg['custom_keys']) >= {'head', 'pos_embed', 'embedding'}
    # without weight decay there is nothing to switch off
    ours = EPCLOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.1)))
    assert ours.paramwise_cfg == {}


def test_only_trainable_parameters(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    wrapper = build_optim_wrapper(enc, OPTIM)
    optimised = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    trainable = {id(p) for p in enc.parameters() if p.requires_grad}
    assert optimised == trainable
    assert not optimised & {id(p) for p in enc.clip.parameters()}


def test_no_decay_groups(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    decay_of = {n: s['weight_decay']
                for n, s in _settings(build_optim_wrapper(enc, OPTIM).optimizer, enc).items()}
    assert decay_of['tokenizer.encoder.first.fc1.weight'] == 0.04
    assert decay_of['task_token.mlp.0.weight'] == 0.04
    for no_decay in ('tokenizer.encoder.first.fc1.bias',  # bias
                     'tokenizer.encoder.first.norm.weight',  # norm
                     'task_token.embedding.weight',  # task tokens
                     'tokenizer.pos_embed.0.weight'):  # position embedding
        assert decay_of[no_decay] == 0.0, no_decay


@pytest.mark.parametrize('paramwise_cfg, match', [
    (dict(bias_decay_mul=0.0), r"unknown keys \['bias_decay_mul'\]"),
    (dict(no_decay_keys=('pos',)), 'unknown keys'),
    (dict(custom_keys={'head': dict(lr_mul=0.1)}), r"custom_keys\['head'\] has \['lr_mul'\]"),
    (dict(custom_keys={'head': 0.1}), 'must be a dict'),
])
def test_unknown_keys_are_refused(paramwise_cfg, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build_optim_wrapper(_Toy(), dict(OPTIM, paramwise_cfg=paramwise_cfg))


def test_decay_mult_needs_weight_decay():
    cfg = dict(constructor='EPCLOptimWrapperConstructor', optimizer=dict(type='SGD', lr=0.1),
               paramwise_cfg=dict(norm_decay_mult=0.0))
    with pytest.raises(ValueError, match='no weight_decay'):
        build_optim_wrapper(_Toy(), cfg)


def test_lr_mult_for_unfrozen_clip(tiny_encoder_cfg):
    """The unfrozen ablation's setting: custom_keys={'backbone.clip': dict(lr_mult=...)}."""
    cfg = dict(tiny_encoder_cfg)
    cfg['clip'] = dict(cfg['clip'], frozen=False)
    model = nn.Module()
    model.backbone = MODELS.build(cfg)
    wrapper = build_optim_wrapper(model, dict(OPTIM, paramwise_cfg=dict(
        custom_keys={'backbone.clip': dict(lr_mult=0.1)})))
    settings = _settings(wrapper.optimizer, model)
    clip = [n for n in settings if n.startswith('backbone.clip.')]
    assert clip and all(settings[n]['lr'] == pytest.approx(1e-4) for n in clip)
    rest = [n for n in settings if not n.startswith('backbone.clip.')]
    assert rest and all(settings[n]['lr'] == 1e-3 for n in rest)
    assert len(settings) == sum(1 for p in model.parameters() if p.requires_grad)


def test_custom_key_turning_decay_back_on_is_reported(capsys):
    MMLogger.get_instance('epcl_test_decay_warning')
    model = _Toy()
    wrapper = build_optim_wrapper(model, dict(OPTIM, paramwise_cfg=dict(
        custom_keys={'head': dict(lr_mult=0.1)})))
    # mmengine's semantics: the custom key decides, decay included
    assert _settings(wrapper.optimizer, model)['head.1.bias']['weight_decay'] == 0.04
    out = capsys.readouterr().out
    assert "custom_keys['head'] gives" in out and 'more weight decay' in out


def test_shared_parameter():
    model = _Toy()
    model.tied = nn.Linear(8, 3)
    model.tied.weight = model.head[2].weight
    with pytest.raises(ValueError, match=r'tied\.weight is the same parameter as '
                                         r'head\.2\.weight.*bypass_duplicate=True'):
        build_optim_wrapper(model, OPTIM)
    wrapper = build_optim_wrapper(model, dict(OPTIM,
                                              paramwise_cfg=dict(bypass_duplicate=True)))
    params = [p for g in wrapper.optimizer.param_groups for p in g['params']]
    assert len(params) == len({id(p) for p in params})
    assert sum(p is model.head[2].weight for p in params) == 1


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


def test_logs_groups_and_counts(tiny_encoder_cfg, capsys):
    MMLogger.get_instance('epcl_test_counts')
    enc = MODELS.build(tiny_encoder_cfg)
    wrapper = build_optim_wrapper(enc, OPTIM)
    trainable = sum(p.numel() for p in enc.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in enc.clip.parameters())
    text = capsys.readouterr().out
    assert f'{trainable:,} trainable' in text and f'{frozen:,} frozen' in text
    for group in wrapper.optimizer.param_groups:  # one table row per group
        numel = sum(p.numel() for p in group['params'])
        row = [line for line in text.splitlines() if line.startswith(group['tag'] + ' ')]
        assert len(row) == 1, group['tag']
        assert row[0].split()[-2:] == [str(len(group['params'])), f'{numel:,}']


@pytest.mark.cuda
def test_amp_optim_wrapper(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg).cuda()
    wrapper = build_optim_wrapper(enc, dict(OPTIM, type='AmpOptimWrapper'))
    with wrapper.optim_context(enc):
        out = enc(torch.rand(2, 200, 3, device='cuda'))
    wrapper.update_params(out['cls_feat'].float().square().mean())
    assert type(wrapper).__name__ == 'AmpOptimWrapper'


def test_default_key_outranking_a_config_key_is_reported(capsys):
    MMLogger.get_instance('epcl_test_shadow_warning')
    model = _Toy()
    wrapper = build_optim_wrapper(model, dict(OPTIM, paramwise_cfg=dict(
        custom_keys={'pos': dict(lr_mult=0.1)})))
    # mmengine's rule: the longer default key 'pos_embed' decides for pos_embed
    assert _settings(wrapper.optimizer, model)['pos_embed']['lr'] == 1e-3
    out = capsys.readouterr().out
    assert "match your custom key 'pos' and the default 'pos_embed'" in out


def _detector_like(tiny_encoder_cfg):
    model = nn.Module()
    model.backbone = MODELS.build(tiny_encoder_cfg)
    model.head = nn.Linear(8, 3)
    return model


@pytest.mark.parametrize('key, match', [
    ('backbone.tokenizr', r"custom_keys\['backbone\.tokenizr'\] matches no parameter.*"
                          r"Did you mean 'backbone\.tokenizer'"),
    ('backbone.clip.visual', r"custom_keys\['backbone\.clip\.visual'\] matches only frozen "
                             r'parameters.*frozen=False'),
])
def test_custom_key_that_reaches_no_trainable_parameter(tiny_encoder_cfg, key, match):
    model = _detector_like(tiny_encoder_cfg)
    with pytest.raises(ValueError, match=match):
        build_optim_wrapper(model, dict(OPTIM, paramwise_cfg=dict(
            custom_keys={key: dict(lr_mult=0.1)})))
    # our own default keys (e.g. cls_token) may match nothing: no error for them
    build_optim_wrapper(model, OPTIM)


@pytest.mark.parametrize('paramwise_cfg, where', [
    (dict(custom_keys={'head': dict(lr_mult=-0.1)}), r"custom_keys\['head'\]\.lr_mult is -0\.1"),
    (dict(custom_keys={'head': dict(lr_mult=float('nan'))}), r'lr_mult is nan'),
    (dict(custom_keys={'head': dict(lr_mult='0.1')}), r"lr_mult is '0\.1'"),
    (dict(custom_keys={'head': dict(decay_mult=True)}), r'decay_mult is True'),
    (dict(custom_keys={'head': dict(decay_mult=-1)}), r'decay_mult is -1'),
    (dict(bias_lr_mult=float('inf')), r'paramwise_cfg\.bias_lr_mult is inf'),
    (dict(norm_decay_mult='0'), r"norm_decay_mult is '0'"),
])
def test_bad_multipliers_are_refused(paramwise_cfg, where):
    with pytest.raises(ValueError, match=where + '.*finite number >= 0'):
        build_optim_wrapper(_Toy(), dict(OPTIM, paramwise_cfg=paramwise_cfg))


def test_no_decay_on_0d_parameters():
    """mmengine's flat rule checks ndim == 1; ours also covers 0-d tensors (CLIP and
    open_clip keep logit_scale out of weight decay)."""
    model = _Toy()
    model.head.temperature = nn.Parameter(torch.tensor(1.0))
    wrapper_cfg = dict(type='OptimWrapper', optimizer=OPTIM['optimizer'])
    ours = EPCLOptimWrapperConstructor(wrapper_cfg)
    assert _settings(ours(model).optimizer, model)['head.temperature']['weight_decay'] == 0.0
    reference = DefaultOptimWrapperConstructor(wrapper_cfg, ours.paramwise_cfg)
    assert _settings(reference(model).optimizer, model)['head.temperature'].get(
        'weight_decay', 0.04) == 0.04  # what mmengine alone gives
    half = EPCLOptimWrapperConstructor(wrapper_cfg, dict(flat_decay_mult=0.5))
    assert _settings(half(model).optimizer, model)['head.temperature'][
        'weight_decay'] == pytest.approx(0.02)
    keyed = EPCLOptimWrapperConstructor(wrapper_cfg, dict(custom_keys={
        'head.temperature': dict(decay_mult=1.0)}))  # a custom key still decides
    assert _settings(keyed(model).optimizer, model)['head.temperature'][
        'weight_decay'] == 0.04


def test_no_decay_on_the_text_heads_logit_scale():
    """The classifier's text-alignment head, with the shipped AdamW (weight decay 0.04)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'schedules', 'epcl_adamw.py'))
    model = nn.Module()
    model.text_align = MODELS.build(dict(type='EPCLTextAlignHead', num_classes=3,
                                         embed_dims=8))
    model.fc = nn.Linear(8, 3)
    settings = _settings(build_optim_wrapper(model, cfg.optim_wrapper).optimizer, model)
    assert model.text_align.logit_scale.ndim == 0
    assert settings['text_align.logit_scale']['weight_decay'] == 0.0
    assert settings['fc.weight']['weight_decay'] == cfg.optim_wrapper.optimizer.weight_decay


def test_3detr_single_group_is_one_paramwise_cfg_away():
    """3DETR decays every parameter; the recipe docs/detection.md gives for it."""
    model = _Toy()
    model.head.temperature = nn.Parameter(torch.tensor(1.0))
    decay_all = dict(bias_decay_mult=1., norm_decay_mult=1., flat_decay_mult=1.,
                     custom_keys={k: dict(decay_mult=1.) for k in (
                         'embedding', 'pos_embed', 'cls_token', 'query_pos')})
    wrapper = build_optim_wrapper(model, dict(OPTIM, paramwise_cfg=decay_all))
    decays = {n: s['weight_decay'] for n, s in _settings(wrapper.optimizer, model).items()}
    assert set(decays.values()) == {0.04}, decays
