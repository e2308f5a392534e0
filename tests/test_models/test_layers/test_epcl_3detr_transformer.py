"""The 3DETR transformer: Fourier positions, the decoder layer and the decoder."""
import pytest
import torch
from mmdet3d.registry import MODELS

from epcl_mmdet3d.models.layers import (
                                        EPCLDecoderLayer,
                                        EPCLFourierPosEncoding,
                                        EPCLTransformerDecoder,
)


def test_fourier_shape_range_and_pairs():
    torch.manual_seed(0)
    enc = EPCLFourierPosEncoding(out_channels=32)
    xyz = torch.rand(2, 10, 3) * 5
    out = enc(xyz, xyz.amin(1), xyz.amax(1))
    assert out.shape == (2, 10, 32)
    assert out.abs().max() <= 1.0
    # sin^2 + cos^2 = 1 for every frequency
    torch.testing.assert_close(out[..., :16] ** 2 + out[..., 16:] ** 2, torch.ones(2, 10, 16))


def test_fourier_invariant_to_scene_shift_and_scale():
    torch.manual_seed(0)
    enc = EPCLFourierPosEncoding(out_channels=16)
    xyz = torch.rand(1, 20, 3)
    lo, hi = xyz.amin(1), xyz.amax(1)
    moved = xyz * 3.0 + torch.tensor([10.0, -4.0, 2.0])
    torch.testing.assert_close(enc(xyz, lo, hi), enc(moved, moved.amin(1), moved.amax(1)),
                               atol=1e-4, rtol=0)


def test_fourier_matches_formula_and_is_a_buffer():
    enc = EPCLFourierPosEncoding(out_channels=4)
    assert 'gauss_b' in enc.state_dict()
    assert not any(p.requires_grad for p in enc.parameters())
    xyz = torch.tensor([[[0.5, 1.0, 0.0]]])
    lo, hi = torch.zeros(1, 3), torch.ones(1, 3) * 2
    proj = 2 * torch.pi * (xyz / 2) @ enc.gauss_b
    torch.testing.assert_close(enc(xyz, lo, hi), torch.cat([proj.sin(), proj.cos()], -1))


def test_fourier_bad_input():
    with pytest.raises(ValueError, match='even'):
        EPCLFourierPosEncoding(out_channels=5)
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        EPCLFourierPosEncoding(8)(torch.zeros(4, 3), torch.zeros(1, 3), torch.ones(1, 3))


def test_decoder_shapes_and_backward():
    torch.manual_seed(0)
    dec = EPCLTransformerDecoder(num_layers=3, embed_dims=32, num_heads=4, ffn_channels=32)
    q, m = torch.zeros(2, 5, 32), torch.randn(2, 9, 32, requires_grad=True)
    out = dec(q, m, torch.randn(2, 5, 32), torch.randn(2, 9, 32))
    assert out.shape == (3, 2, 5, 32)
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert m.grad is not None and m.grad.abs().sum() > 0


def test_decoder_scenes_in_a_batch_do_not_attend_to_each_other():
    # The authors' code fed (B, L, D) into a (L, B, D) transformer; guard against it.
    torch.manual_seed(0)
    dec = EPCLTransformerDecoder(num_layers=2, embed_dims=16, num_heads=2,
                                 ffn_channels=16).eval()
    q, qp = torch.zeros(2, 4, 16), torch.randn(2, 4, 16)
    m, mp = torch.randn(2, 6, 16), torch.randn(2, 6, 16)
    out = dec(q, m, qp, mp)
    m2 = m.clone()
    m2[1] = torch.randn(6, 16)  # change the second scene only
    out2 = dec(q, m2, qp, mp)
    torch.testing.assert_close(out[:, 0], out2[:, 0])
    assert not torch.allclose(out[:, 1], out2[:, 1])


def test_registered_names_build_from_configs():
    built = [MODELS.build(dict(type='EPCLFourierPosEncoding', out_channels=8)),
             MODELS.build(dict(type='EPCLDecoderLayer', embed_dims=8, num_heads=2)),
             MODELS.build(dict(type='EPCLTransformerDecoder', num_layers=1, embed_dims=8,
                               num_heads=2))]
    assert [type(m) for m in built] == [EPCLFourierPosEncoding, EPCLDecoderLayer,
                                        EPCLTransformerDecoder]


def test_decoder_layer_is_pre_norm_and_residual():
    """With every residual branch's output layer zeroed, a layer passes its input through."""
    torch.manual_seed(0)
    layer = EPCLDecoderLayer(embed_dims=8, num_heads=2, ffn_channels=8, dropout=0.0).eval()
    for linear in (layer.self_attn.out_proj, layer.cross_attn.out_proj, layer.ffn[-1]):
        torch.nn.init.zeros_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
    q = torch.randn(2, 3, 8) * 100  # a pre-norm layer does not normalise the state itself
    out = layer(q, torch.randn(2, 5, 8), torch.randn(2, 3, 8), torch.randn(2, 5, 8))
    torch.testing.assert_close(out, q)


def test_decoder_weights_are_xavier_uniform_as_3detr():
    """3DETR draws every >= 2-D decoder parameter by xavier_uniform_; PyTorch's Linear
    default (bound 1 / sqrt(fan_in)) stays well inside xavier's bound, so the largest
    drawn value tells the two apart."""
    import math
    torch.manual_seed(0)
    decoder = EPCLTransformerDecoder(num_layers=2, embed_dims=64, num_heads=4,
                                     ffn_channels=128)
    weights = [(n, p) for n, p in decoder.named_parameters() if p.dim() > 1]
    assert any('out_proj' in n for n, _ in weights)
    assert any('ffn' in n or 'linear' in n for n, _ in weights)
    for name, param in weights:
        fan_out, fan_in = param.shape
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert param.abs().max() <= bound + 1e-6, name
        assert param.abs().max() > 0.9 * bound, name
