import math

import pytest
import torch

from epcl_mmdet3d.models.task_modules import EPCL3DETRBoxCoder


@pytest.mark.parametrize('num_bins', [1, 12])
def test_encode_decode_round_trip(num_bins, box_encoder):
    torch.manual_seed(0)
    coder = EPCL3DETRBoxCoder(num_angle_bins=num_bins)
    bsz, nq = 2, 7
    lo = torch.tensor([[-1.0, -2.0, 0.0], [0.0, 0.0, -0.5]])
    hi = lo + torch.tensor([[5.0, 6.0, 3.0], [4.0, 4.0, 2.5]])
    query = lo[:, None] + torch.rand(bsz, nq, 3) * (hi - lo)[:, None]
    centers = query + (torch.rand(bsz, nq, 3) - 0.5) * 0.9  # within +-0.45 m
    sizes = torch.rand(bsz, nq, 3) * 1.5 + 0.1
    yaws = (torch.rand(bsz, nq) - 0.5) * 2 * math.pi * 0.99
    if num_bins == 1:
        yaws = torch.zeros(bsz, nq)  # one bin: axis-aligned boxes only
    raw = box_encoder(coder, centers, sizes, yaws, query, lo, hi)
    dec = coder.decode(raw['center_raw'], raw['size_raw'], raw['angle_cls'],
                       raw['angle_res_raw'], query, lo, hi)
    torch.testing.assert_close(dec['center'], centers, atol=1e-4, rtol=0)
    torch.testing.assert_close(dec['size'], sizes, atol=1e-4, rtol=0)
    # yaw agrees modulo 2 pi
    diff = torch.remainder(dec['angle'] - yaws + math.pi, 2 * math.pi) - math.pi
    assert diff.abs().max() < 1e-4
    torch.testing.assert_close(dec['corners'][..., 3:] - dec['corners'][..., :3], sizes,
                               atol=1e-4, rtol=0)
    # normalised forms agree with the targets' normalisation
    tgt = coder.encode_targets(centers[0], sizes[0], yaws[0], lo[0], hi[0])
    torch.testing.assert_close(dec['center_normalized'][0], tgt['center_normalized'],
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(dec['size_normalized'][0], tgt['size_normalized'],
                               atol=1e-5, rtol=0)


def test_angle_bins_hand_worked():
    coder = EPCL3DETRBoxCoder(num_angle_bins=4)  # bins centred on 0, pi/2, pi, 3pi/2
    yaws = torch.tensor([0.0, math.pi / 2 + 0.1, -math.pi / 2, math.pi - 0.2])
    tgt = coder.encode_targets(torch.zeros(4, 3), torch.ones(4, 3), yaws,
                               torch.zeros(3), torch.ones(3))
    assert tgt['angle_bin'].tolist() == [0, 1, 3, 2]
    torch.testing.assert_close(tgt['angle_residual'] * math.pi / 4,
                               torch.tensor([0.0, 0.1, 0.0, -0.2]), atol=1e-5, rtol=0)


def test_decoded_ranges():
    coder = EPCL3DETRBoxCoder()
    lo, hi = torch.zeros(1, 3), torch.tensor([[4.0, 3.0, 2.0]])
    query = torch.full((1, 5, 3), 1.0)
    raw = torch.randn(1, 5, 3) * 10
    dec = coder.decode(raw, raw, torch.zeros(1, 5, 1), torch.zeros(1, 5, 1), query, lo, hi)
    assert (dec['center'] - query).abs().max() <= 0.5
    assert (dec['size'] <= hi).all() and (dec['size'] >= 0).all()
    assert dec['angle'].abs().max() == 0


def test_encode_rejects_far_centre(box_encoder):
    coder = EPCL3DETRBoxCoder()
    with pytest.raises(ValueError, match='center_range'):
        box_encoder(coder, torch.full((1, 1, 3), 2.0), torch.ones(1, 1, 3), torch.zeros(1, 1),
                     torch.zeros(1, 1, 3), torch.zeros(1, 3), torch.full((1, 3), 5.0))


def test_one_bin_decodes_yaw_zero_and_many_bins_wrap_into_pi():
    coder = EPCL3DETRBoxCoder(num_angle_bins=1)
    zeros = torch.zeros(1, 2, 3)
    lo, hi = torch.zeros(1, 3), torch.ones(1, 3) * 4
    dec = coder.decode(zeros, zeros, torch.zeros(1, 2, 1), torch.full((1, 2, 1), 0.7), zeros,
                       lo, hi)
    assert (dec['angle'] == 0).all()  # 3DETR: no rotation with one bin
    coder = EPCL3DETRBoxCoder(num_angle_bins=4)
    logits = torch.tensor([[[0.0, 0.0, 0.0, 5.0]]])  # bin 3: centre 3 pi / 2
    dec = coder.decode(zeros[:, :1], zeros[:, :1], logits, torch.zeros(1, 1, 4),
                       zeros[:, :1], lo, hi)
    torch.testing.assert_close(dec['angle'], torch.tensor([[-math.pi / 2]]))
