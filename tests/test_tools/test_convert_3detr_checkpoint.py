"""tools/model_converters/convert_3detr_checkpoint.py on state dicts written here in the
layout of facebookresearch/3detr's Model3DETR (no download)."""
import argparse

import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.utils import register_all_modules
from mmengine.runner import load_checkpoint

import epcl_mmdet3d  # noqa: F401
import epcl_mmdet3d.ops.enable_mmcv_cpu_fallback  # noqa: F401

TOOL = 'model_converters/convert_3detr_checkpoint'
E, F_ENC, D, F_DEC, NUM_CLASSES = 32, 16, 32, 24, 4  # small widths


def _bn(prefix, width, state):
    for name in ('weight', 'bias', 'running_mean', 'running_var'):
        state[f'{prefix}.{name}'] = torch.randn(width)
    state[f'{prefix}.num_batches_tracked'] = torch.tensor(7)


def _attn(prefix, width, state):
    state[f'{prefix}.in_proj_weight'] = torch.randn(3 * width, width)
    state[f'{prefix}.in_proj_bias'] = torch.randn(3 * width)
    state[f'{prefix}.out_proj.weight'] = torch.randn(width, width)
    state[f'{prefix}.out_proj.bias'] = torch.randn(width)


def _linear(prefix, out, inp, state, conv=False, bias=True):
    state[f'{prefix}.weight'] = torch.randn(out, inp, 1) if conv else torch.randn(out, inp)
    if bias:
        state[f'{prefix}.bias'] = torch.randn(out)


def _generic_mlp(prefix, inp, hidden, out, state, norm, dropout, out_norm_act=False,
                 hidden_bias=False, out_bias=True):
    """3DETR's GenericMLP(use_conv=True): [conv, (bn), relu, (dropout)] per hidden width,
    then conv [, bn, relu]; the Sequential indices count the parameter-free layers too."""
    k = 0
    for width in hidden:
        _linear(f'{prefix}.layers.{k}', width, inp, state, conv=True, bias=hidden_bias)
        k += 1
        if norm:
            _bn(f'{prefix}.layers.{k}', width, state)
            k += 1
        k += 1 + int(dropout)  # relu, dropout
        inp = width
    _linear(f'{prefix}.layers.{k}', out, inp, state, conv=True, bias=out_bias)
    if out_norm_act:
        _bn(f'{prefix}.layers.{k + 1}', out, state)


def three_detr_state(masked, num_bins=1, enc_layers=3, dec_layers=2):
    """A Model3DETR state dict in 3DETR's names, following models/model_3detr.py,
    models/transformer.py, models/helpers.py and third_party/pointnet2 (SharedMLP's
    Conv2d wraps its BatchNorm2d as ``bn.bn``)."""
    torch.manual_seed(0)
    state = {}
    for k, (inp, out) in enumerate([(3, 16), (16, E)]):  # mlp [0 + 3 xyz, 16, E]
        state[f'pre_encoder.mlp_module.layer{k}.conv.weight'] = torch.randn(out, inp, 1, 1)
        _bn(f'pre_encoder.mlp_module.layer{k}.bn.bn', out, state)
    for i in range(enc_layers):
        p = f'encoder.layers.{i}'
        _attn(f'{p}.self_attn', E, state)
        _linear(f'{p}.linear1', F_ENC, E, state)
        _linear(f'{p}.linear2', E, F_ENC, state)
        for n in (1, 2):
            state[f'{p}.norm{n}.weight'], state[f'{p}.norm{n}.bias'] = torch.randn(2, E)
    if masked:  # interim_downsampling: mlp [E + 3, E, E]
        for k, (inp, out) in enumerate([(E + 3, E), (E, E)]):
            p = f'encoder.interim_downsampling.mlp_module.layer{k}'
            state[f'{p}.conv.weight'] = torch.randn(out, inp, 1, 1)
            _bn(f'{p}.bn.bn', out, state)
    _generic_mlp('encoder_to_decoder_projection', E, [E] if masked else [E, E], D, state,
                 norm=True, dropout=False, out_norm_act=True, out_bias=False)
    state['pos_embedding.gauss_B'] = torch.randn(3, D // 2)
    _generic_mlp('query_projection', D, [D], D, state, norm=False, dropout=False,
                 hidden_bias=True)
    for i in range(dec_layers):
        p = f'decoder.layers.{i}'
        _attn(f'{p}.self_attn', D, state)
        _attn(f'{p}.multihead_attn', D, state)
        for n in (1, 2, 3):
            state[f'{p}.norm{n}.weight'], state[f'{p}.norm{n}.bias'] = torch.randn(2, D)
        _linear(f'{p}.linear1', F_DEC, D, state)
        _linear(f'{p}.linear2', D, F_DEC, state)
    state['decoder.norm.weight'], state['decoder.norm.bias'] = torch.randn(2, D)
    for head, out in (('sem_cls_head', NUM_CLASSES + 1), ('center_head', 3),
                      ('size_head', 3), ('angle_cls_head', num_bins),
                      ('angle_residual_head', num_bins)):
        _generic_mlp(f'mlp_heads.{head}', D, [D, D], out, state, norm=True, dropout=True)
    return state


def detector(masked, num_bins=1, enc_layers=3, dec_layers=2):
    """Our EPCL3DETRDetector with the same widths (3DETR's layout, small)."""
    register_all_modules(init_default_scope=True)
    backbone = dict(type='EPCL3DETREncoder',
                    pre_encoder=dict(type='PointSAModule', num_point=32, radius=0.2,
                                     num_sample=8, mlp_channels=[0, 16, E],
                                     normalize_xyz=True),
                    num_layers=enc_layers, num_heads=4, ffn_channels=F_ENC)
    if masked:
        backbone.update(masking_radii=(0.16, 0.64, 1.44)[:enc_layers],
                        interim_sa=dict(type='PointSAModule', num_point=16, radius=0.4,
                                        num_sample=4, mlp_channels=[E, E, E],
                                        normalize_xyz=True))
    return MODELS.build(dict(
        type='EPCL3DETRDetector', data_preprocessor=dict(type='Det3DDataPreprocessor'),
        backbone=backbone,
        bbox_head=dict(type='EPCL3DETRHead', num_classes=NUM_CLASSES, num_queries=8,
                       embed_dims=D, decoder=dict(num_layers=dec_layers, num_heads=4,
                                                  ffn_channels=F_DEC, dropout=0.1),
                       mlp_channels=D, mlp_dropout=0.3, in_norm=False,
                       proj_hidden_layers=1 if masked else 2,
                       box_coder=dict(type='EPCL3DETRBoxCoder', num_angle_bins=num_bins))))


@pytest.mark.parametrize('masked,num_bins', [(False, 1), (True, 1), (True, 12)])
def test_3detr_state_loads_strictly_and_round_trips(load_tool, masked, num_bins):
    tool = load_tool(TOOL)
    src = three_detr_state(masked, num_bins)
    ours = tool.convert_3detr_state(src)
    model = detector(masked, num_bins)
    model.load_state_dict(ours, strict=True)  # every key of both sides, every shape
    state = model.state_dict()
    torch.testing.assert_close(state['backbone.layers.1.ffns.0.layers.0.0.weight'],
                               src['encoder.layers.1.linear1.weight'])
    torch.testing.assert_close(state['bbox_head.query_proj.2.weight'],
                               src['query_projection.layers.2.weight'][..., 0])
    torch.testing.assert_close(state['bbox_head.pos_encoding.gauss_b'],
                               src['pos_embedding.gauss_B'])
    torch.testing.assert_close(state['bbox_head.decoder.layers.0.cross_attn.in_proj_weight'],
                               src['decoder.layers.0.multihead_attn.in_proj_weight'])
    unused = tool.single_bin_angle_cls(src)  # one bin: 3DETR's softmax over one logit
    assert bool(unused) == (num_bins == 1)
    assert all(k.startswith('mlp_heads.angle_cls_head.') for k in unused)
    back = tool.to_3detr_state(model.state_dict(), angle_cls=unused)
    assert sorted(back) == sorted(src)
    for key, value in src.items():
        assert torch.equal(back[key], value), key


def test_ddp_prefix_is_dropped_and_unknown_keys_refused(load_tool):
    tool = load_tool(TOOL)
    src = three_detr_state(masked=False)
    ours = tool.convert_3detr_state({'module.' + k: v for k, v in src.items()})
    assert ours.keys() == tool.convert_3detr_state(src).keys()
    with pytest.raises(ValueError, match='no counterpart'):
        tool.convert_3detr_state({'criterion.empty_weight': torch.ones(3)})


def test_main_writes_an_mmengine_checkpoint(load_tool, tmp_path, capsys):
    tool = load_tool(TOOL)
    src = three_detr_state(masked=True)
    args = argparse.Namespace(enc_type='masked', dataset_name='scannet', base_lr=5e-4)
    torch.save(dict(model=src, args=args, epoch=1079, optimizer={},
                    best_val_metrics={'mAP_0.25': 0.6}), tmp_path / '3detr.pth')
    out = str(tmp_path / 'converted.pth')
    tool.main([str(tmp_path / '3detr.pth'), out])
    assert 'configs/3detr-m_scannet_det.py' in capsys.readouterr().out
    model = detector(masked=True)
    ckpt = load_checkpoint(model, out, map_location='cpu', strict=True)
    assert ckpt['meta']['masked'] and ckpt['meta']['num_classes'] == NUM_CLASSES
    assert ckpt['meta']['source_args']['enc_type'] == 'masked'
    torch.testing.assert_close(model.backbone.interim_sa.mlps[0].layer0.bn.running_var,
                               src['encoder.interim_downsampling.mlp_module.layer0.bn.bn.'
                                   'running_var'])
