import pytest
import torch

from epcl_mmdet3d.models.layers import EPCLFourierPosEncoding


def test_shape_range_and_pairs():
    torch.manual_seed(0)
    enc = EPCLFourierPosEncoding(out_channels=32)
    xyz = torch.rand(2, 10, 3) * 5
    out = enc(xyz, xyz.amin(1), xyz.amax(1))
    assert out.shape == (2, 10, 32)
    assert out.abs().max() <= 1.0
    # sin^2 + cos^2 = 1 for every frequency
    torch.testing.assert_close(out[..., :16] ** 2 + out[..., 16:] ** 2, torch.ones(2, 10, 16))


def test_invariant_to_scene_shift_and_scale():
    torch.manual_seed(0)
    enc = EPCLFourierPosEncoding(out_channels=16)
    xyz = torch.rand(1, 20, 3)
    lo, hi = xyz.amin(1), xyz.amax(1)
    moved = xyz * 3.0 + torch.tensor([10.0, -4.0, 2.0])
    torch.testing.assert_close(enc(xyz, lo, hi), enc(moved, moved.amin(1), moved.amax(1)),
                               atol=1e-4, rtol=0)


def test_matches_formula_and_is_a_buffer():
    enc = EPCLFourierPosEncoding(out_channels=4)
    assert 'gauss_b' in enc.state_dict()
    assert not any(p.requires_grad for p in enc.parameters())
    xyz = torch.tensor([[[0.5, 1.0, 0.0]]])
    lo, hi = torch.zeros(1, 3), torch.ones(1, 3) * 2
    proj = 2 * torch.pi * (xyz / 2) @ enc.gauss_b
    torch.testing.assert_close(enc(xyz, lo, hi), torch.cat([proj.sin(), proj.cos()], -1))


def test_bad_input():
    with pytest.raises(ValueError, match='even'):
        EPCLFourierPosEncoding(out_channels=5)
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        EPCLFourierPosEncoding(8)(torch.zeros(4, 3), torch.zeros(1, 3), torch.ones(1, 3))
