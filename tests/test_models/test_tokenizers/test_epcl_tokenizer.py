import re
import warnings

import pytest
import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401


def build(**kwargs):
    cfg = dict(type='EPCLTokenizer', num_tokens=16, num_neighbors=8, in_channels=3,
               embed_dims=32)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_shapes_and_gradients():
    tok = build(in_channels=6)
    points = torch.rand(2, 100, 6, requires_grad=True)
    out = tok(points)
    assert out['tokens'].shape == (2, 16, 32)
    assert out['pos_embed'].shape == (2, 16, 32)
    assert out['centers'].shape == (2, 16, 3)
    assert out['group_idx'].shape == (2, 16, 8)
    (out['tokens'].sum() + out['pos_embed'].sum()).backward()
    assert points.grad is not None and points.grad.abs().sum() > 0
    for name, p in tok.named_parameters():
        assert p.grad is not None, name


def test_fewer_points_than_centres():
    with pytest.raises(ValueError, match='got 10 points per cloud.*num_groups=16'):
        build()(torch.rand(2, 10, 3))


def test_wrong_channel_count():
    with pytest.raises(ValueError, match=r'\(B, N, 6\).*got \(2, 100, 3\)'):
        build(in_channels=6)(torch.rand(2, 100, 3))


def test_nan_points():
    points = torch.rand(2, 100, 3)
    points[0, 7] = float('nan')
    with pytest.raises(ValueError, match='NaN or Inf'):
        build()(points)


def test_set_abstraction_encoder():
    """The light option: 3DETR's 64-128-256 per-point MLP, max-pool, projection."""
    tok = build(in_channels=6, encoder='set_abstraction', sa_channels=(8, 16, 24))
    widths = [m.out_features for m in tok.encoder.mlp if isinstance(m, torch.nn.Linear)]
    assert widths == [8, 16, 24] and tok.encoder.proj.out_features == 32
    points = torch.rand(2, 100, 6)
    out = tok(points)
    assert out['tokens'].shape == (2, 16, 32)
    out['tokens'].sum().backward()
    for name, p in tok.encoder.named_parameters():
        assert p.grad is not None, name
    # a group's token depends on its own points only, whatever their order
    groups = tok.grouper(points[..., :3], points[..., 3:])['groups']  # (B, M, K, 6)
    tok.eval()
    shuffled = groups[:, :, torch.randperm(groups.shape[2])]
    assert torch.allclose(tok.encoder(groups), tok.encoder(shuffled), atol=1e-6)
    with pytest.raises(ValueError, match="'mini_pointnet' or 'set_abstraction'"):
        build(encoder='pointnet')


def test_group_encoder_is_a_registered_dict():
    from epcl_mmdet3d.models.layers import EPCLMiniPointNet, EPCLSetAbstractionMLP
    assert isinstance(build().encoder, EPCLMiniPointNet)  # the paper's, by default
    tok = build(in_channels=6, encoder=dict(type='EPCLSetAbstractionMLP',
                                            hidden_channels=(8, 16, 24)))
    assert isinstance(tok.encoder, EPCLSetAbstractionMLP)
    widths = [m.out_features for m in tok.encoder.mlp if isinstance(m, torch.nn.Linear)]
    assert widths == [8, 16, 24] and tok.encoder.in_channels == 6
    assert tok.encoder.out_channels == 32  # embed_dims, filled in by the tokenizer
    with pytest.raises(KeyError, match='EPCLPointNet'):
        build(encoder=dict(type='EPCLPointNet'))
    with pytest.raises(ValueError, match=r"\['out_channels'\].*leave them out"):
        build(encoder=dict(type='EPCLMiniPointNet', out_channels=32))
    with pytest.raises(TypeError, match=r"dict\(type='EPCLMiniPointNet'\)"):
        build(encoder=dict(hidden_channels=(8, 16)))


@pytest.mark.parametrize('old, new, widths', [
    (dict(encoder='set_abstraction', sa_channels=(8, 16, 24)),
     "encoder=dict(type='EPCLSetAbstractionMLP', hidden_channels=(8, 16, 24))", [8, 16, 24]),
    (dict(encoder='mini_pointnet'), "encoder=dict(type='EPCLMiniPointNet')", [128]),
    (dict(hidden_channels=(8, 16)),
     "encoder=dict(type='EPCLMiniPointNet', hidden_channels=(8, 16))", [8]),
])
def test_old_encoder_arguments_warn_and_build_the_same(old, new, widths):
    with pytest.warns(DeprecationWarning, match=re.escape(new)):
        tok = build(**old)
    first = [m.out_features for m in tok.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert first[:len(widths)] == widths
    cfg = eval(new.split('=', 1)[1])  # the form the warning names
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        old_tok = build(**old)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('error', DeprecationWarning)  # the new form does not warn
        new_tok = build(encoder=cfg)
    old_state, new_state = old_tok.state_dict(), new_tok.state_dict()
    assert list(old_state) == list(new_state)
    assert all(torch.equal(old_state[k], new_state[k]) for k in old_state)
