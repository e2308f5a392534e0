"""EPCLHierarchicalTokenizer: level shapes, the core tokenizer contract, errors."""
import pytest
import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401


def _tokenizer(**kw):
    cfg = dict(type='EPCLHierarchicalTokenizer', num_points=(64, 32, 16),
               num_neighbors=(8, 8, 8), in_channels=9, level_channels=(16, 32),
               level_hidden=((16, 16), (16, 16)), embed_dims=24,
               token_hidden=(16, 32), pos_hidden=16)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_levels_and_token_contract():
    tok = _tokenizer()
    points = torch.rand(2, 128, 9)
    out = tok(points)
    assert out['centers'].shape == (2, 16, 3)
    assert out['tokens'].shape == (2, 16, 24)
    assert out['pos_embed'].shape == (2, 16, 24)
    assert out['center_idx'].shape == (2, 16)
    assert out['group_idx'].shape == (2, 16, 8)
    assert [x.shape[1] for x in out['level_xyz']] == [128, 64, 32, 16]
    assert [f.shape[-1] for f in out['level_feats']] == [9, 16, 32, 24]
    assert tok.skip_channels == [9, 16, 32, 24]
    # level 0 is the input itself; every level's xyz are points of the level above
    assert torch.equal(out['level_feats'][0], points)
    for fine, coarse in zip(out['level_xyz'][:-1], out['level_xyz'][1:]):
        diff = (coarse[:, :, None] - fine[:, None]).abs().sum(-1)  # (B, Nc, Nf)
        assert torch.all(diff.min(-1).values == 0)


def test_runs_inside_epcl_encoder(tiny_clip_cfg):
    enc = MODELS.build(dict(
        type='EPCLEncoder',
        tokenizer=dict(type='EPCLHierarchicalTokenizer', num_points=(64, 32, 16),
                       num_neighbors=(8, 8, 8), in_channels=9,
                       level_channels=(16, 32), level_hidden=((16, 16), (16, 16))),
        task_token=dict(type='EPCLTaskToken', num_tokens=3),
        clip=tiny_clip_cfg))
    out = enc(torch.rand(2, 128, 9))
    assert out['tokens'].shape == (2, 16, enc.embed_dims)
    assert out['patch_feats'].shape == (2, 16, enc.embed_dims)
    assert len(out['level_xyz']) == 4


def test_too_few_points_is_a_clear_error():
    tok = _tokenizer()
    with pytest.raises(ValueError, match='got 40 points per sample.*64 centres'):
        tok(torch.rand(1, 40, 9))


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError, match='strictly decreasing'):
        _tokenizer(num_points=(64, 64, 16))
    with pytest.raises(ValueError, match='same length'):
        _tokenizer(num_neighbors=(8, 8))
    with pytest.raises(ValueError, match='one entry per level'):
        _tokenizer(level_channels=(16, ))
    tok = _tokenizer()
    with pytest.raises(ValueError, match=r'\(B, N, 9\)'):
        tok(torch.rand(1, 128, 6))


def test_group_encoder_of_every_level_is_a_registered_dict():
    from epcl_mmdet3d.models.layers import EPCLMiniPointNet, EPCLSetAbstractionMLP
    tok = _tokenizer()
    encoders = [*tok.encoders, tok.token_level.encoder]
    assert all(isinstance(e, EPCLMiniPointNet) for e in encoders)
    tok = _tokenizer(encoder=dict(type='EPCLSetAbstractionMLP', norm_cfg=dict(type='LN')))
    encoders = [*tok.encoders, tok.token_level.encoder]
    assert all(isinstance(e, EPCLSetAbstractionMLP) for e in encoders)
    # widths per level from level_hidden / token_hidden, the norm from the template
    assert [e.mlp[0].out_features for e in encoders] == [16, 16, 16]
    assert all(isinstance(e.mlp[1], torch.nn.LayerNorm) for e in encoders)
    assert tok(torch.rand(2, 128, 9))['tokens'].shape == (2, 16, 24)
    with pytest.raises(ValueError, match='hidden_channels'):
        _tokenizer(encoder=dict(type='EPCLMiniPointNet', hidden_channels=(8, 8)))
    with pytest.warns(DeprecationWarning, match=r"encoder=dict\(type='EPCLMiniPointNet', "
                                                r"norm_cfg=dict\(type='LN'\)\)"):
        tok = _tokenizer(encoder='mini_pointnet', norm_cfg=dict(type='LN'))
    assert isinstance(tok.encoders[0].first.norm, torch.nn.LayerNorm)
