"""3-NN inverse-distance interpolation against a brute-force reference."""
import pytest
import torch

from epcl_mmdet3d.ops.three_interpolate import (
    three_interpolate,
    three_nn,
    three_nn_interpolate,
    three_nn_interpolate_reference,
)


def _cloud(b, n, m, c, seed=0):
    g = torch.Generator().manual_seed(seed)
    unknown = torch.rand(b, n, 3, generator=g)
    known = torch.rand(b, m, 3, generator=g)
    feats = torch.randn(b, m, c, generator=g)
    return unknown, known, feats


def test_matches_brute_force_reference():
    unknown, known, feats = _cloud(2, 300, 41, 7)
    out = three_nn_interpolate(unknown, known, feats)
    ref = three_nn_interpolate_reference(unknown, known, feats)
    assert out.shape == (2, 300, 7)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


def test_hand_worked_case():
    # known points on a line at x = 0, 1, 3, 10; query at x = 0.5
    known = torch.tensor([[[0., 0, 0], [1., 0, 0], [3., 0, 0], [10., 0, 0]]])
    feats = torch.tensor([[[1.], [2.], [4.], [100.]]])
    query = torch.tensor([[[0.5, 0, 0]]])
    w = torch.tensor([1 / 0.5, 1 / 0.5, 1 / 2.5])
    expected = (w * torch.tensor([1., 2., 4.])).sum() / w.sum()
    out = three_nn_interpolate(query, known, feats)
    torch.testing.assert_close(out[0, 0, 0], expected)


def test_query_on_known_point_takes_its_feature():
    unknown, known, feats = _cloud(1, 10, 20, 3)
    out = three_nn_interpolate(known, known, feats)  # every query coincides
    torch.testing.assert_close(out, feats, rtol=1e-5, atol=1e-5)


def test_blocked_cpu_path_equals_one_block():
    unknown, known, feats = _cloud(2, 257, 33, 5, seed=1)
    dist, idx = three_nn(unknown, known)
    w = 1.0 / (dist + 1e-8)
    w = w / w.sum(-1, keepdim=True)
    whole = three_interpolate(feats, idx, w)
    # a block bound that fits 1 output row per block forces 257 blocks
    blocked = three_interpolate(feats, idx, w, block_bytes=1)
    torch.testing.assert_close(whole, blocked)
    assert torch.all(dist[..., :-1] <= dist[..., 1:])  # ascending


def test_gradients_reach_features():
    unknown, known, feats = _cloud(1, 50, 12, 4)
    feats.requires_grad_(True)
    three_nn_interpolate(unknown, known, feats).sum().backward()
    # every output row's weights sum to one, so d(sum)/d(feats) counts the
    # weight each known point receives in total
    assert feats.grad is not None
    torch.testing.assert_close(feats.grad.sum(), torch.tensor(50. * 4))


def test_bad_inputs_raise_clear_errors():
    unknown, known, feats = _cloud(1, 5, 2, 3)
    with pytest.raises(ValueError, match='at least 3 known points'):
        three_nn_interpolate(unknown, known, feats)
    unknown, known, feats = _cloud(2, 5, 6, 3)
    with pytest.raises(ValueError, match='batch size'):
        three_nn_interpolate(unknown[:1], known, feats)
    with pytest.raises(ValueError, match='first two dimensions'):
        three_nn_interpolate(unknown, known, feats[:, :4])


@pytest.mark.cuda
def test_cuda_matches_cpu():
    unknown, known, feats = _cloud(2, 1000, 97, 16, seed=3)
    cpu = three_nn_interpolate(unknown, known, feats)
    gpu = three_nn_interpolate(unknown.cuda(), known.cuda(), feats.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-4)
    dist_c, idx_c = three_nn(unknown, known)
    dist_g, idx_g = three_nn(unknown.cuda(), known.cuda())
    torch.testing.assert_close(dist_g.cpu(), dist_c, rtol=1e-4, atol=1e-5)
