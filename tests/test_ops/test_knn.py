import pytest
import torch

from epcl_mmdet3d.ops import gather_points, knn_query, knn_query_reference
from epcl_mmdet3d.ops import knn as knn_module


def test_hand_checked():
    xyz = torch.tensor([[[0., 0, 0], [1, 0, 0], [3, 0, 0], [7, 0, 0]]])
    query = torch.tensor([[[2.9, 0, 0], [0.2, 0, 0]]])
    dist2, idx = knn_query(query, xyz, 2)
    assert idx.tolist() == [[[2, 1], [0, 1]]]
    assert torch.allclose(dist2, torch.tensor([[[0.01, 3.61], [0.04, 0.64]]]))


@pytest.mark.parametrize('block_bytes', [64, 1 << 30])
def test_matches_brute_force(block_bytes):
    torch.manual_seed(0)
    xyz = torch.rand(2, 300, 3)
    query = torch.rand(2, 40, 3)
    idx = knn_query_reference(query, xyz, 7, block_bytes=block_bytes)
    full = torch.cdist(query, xyz)  # (B, M, N), brute force
    ref = full.argsort(dim=-1)[..., :7]
    assert torch.equal(idx, ref)
    dist2, idx2 = knn_query(query, xyz, 7)
    assert torch.equal(idx2, ref)
    assert torch.allclose(dist2, full.gather(-1, ref).square(), atol=1e-6)


@pytest.mark.parametrize('shape', [(1, 5, 9), (2, 40, 3000)])
def test_compiled_cpu_path_matches_brute_force(shape):
    torch.manual_seed(2)
    b, m, n = shape
    xyz = torch.randn(b, n, 3)
    query = torch.randn(b, m, 3)
    k = min(16, n)
    dist2, idx = knn_query(query, xyz, k)
    exact = (query.unsqueeze(2) - xyz.unsqueeze(1)).square().sum(-1)  # (B, M, N)
    ref_d, ref_i = exact.sort(dim=-1, stable=True)
    assert torch.equal(idx, ref_i[..., :k])
    assert torch.equal(dist2, ref_d[..., :k])


def test_gather_points():
    x = torch.arange(24.).view(2, 4, 3)
    idx = torch.tensor([[[3, 0]], [[1, 1]]])
    out = gather_points(x, idx)
    assert out.shape == (2, 1, 2, 3)
    assert out[0, 0, 0].tolist() == [9., 10., 11.]
    assert out[1, 0, 1].tolist() == [15., 16., 17.]


def test_errors():
    with pytest.raises(ValueError, match='k=9'):
        knn_query(torch.rand(1, 2, 3), torch.rand(1, 8, 3), 9)
    with pytest.raises(ValueError, match='batch size'):
        knn_query(torch.rand(2, 2, 3), torch.rand(1, 8, 3), 2)
    bad = torch.rand(1, 8, 3)
    bad[0, 3, 0] = float('inf')
    with pytest.raises(ValueError, match='NaN or Inf'):
        knn_query(torch.rand(1, 2, 3), bad, 2)


def test_empty_batch_gives_empty_results():
    dist2, idx = knn_query(torch.rand(0, 5, 3), torch.rand(0, 8, 3), 4)
    assert dist2.shape == idx.shape == (0, 5, 4)
    assert dist2.dtype == torch.float32 and idx.dtype == torch.int64


@pytest.mark.cuda
def test_cuda_matches_cpu():
    torch.manual_seed(0)
    xyz = torch.rand(2, 4000, 3)
    query = xyz[:, :256]
    d_cpu, i_cpu = knn_query(query, xyz, 16)
    d_gpu, i_gpu = knn_query(query.cuda(), xyz.cuda(), 16)
    assert torch.allclose(d_cpu, d_gpu.cpu(), atol=1e-6)
    assert (i_cpu == i_gpu.cpu()).float().mean() > 0.999  # ties may order differently


def _scan_order(query, xyz, k):
    exact = (query.unsqueeze(2) - xyz.unsqueeze(1)).square().sum(-1)  # (B, M, N)
    ref_d, ref_i = exact.sort(dim=-1, stable=True)
    return ref_d[..., :k], ref_i[..., :k]


@pytest.mark.parametrize('kind', ['uniform', 'grid', 'duplicates'])
def test_kdtree_path_matches_scan_with_ties(kind):
    """Above KDTREE_MIN_WORK the CPU path uses a k-d tree: same neighbours, same tie
    rule (lower index first), also on grids and duplicated points full of ties."""
    gen = torch.Generator().manual_seed(3)
    if kind == 'uniform':
        xyz = torch.rand(2, 3000, 3, generator=gen) * 5
    elif kind == 'grid':  # integer coordinates: many equal distances
        xyz = torch.randint(0, 6, (2, 3000, 3), generator=gen).float()
    else:  # every point twice, as PointSample(replace=True) pads a cloud
        xyz = torch.rand(2, 1500, 3, generator=gen).repeat_interleave(2, dim=1)
    query = xyz[:, :400] + (0.5 if kind == 'grid' else 0.0)
    assert query.shape[1] * xyz.shape[1] >= knn_module.KDTREE_MIN_WORK
    for k in (1, 12, 40):
        dist2, idx = knn_query(query, xyz, k)
        ref_d, ref_i = _scan_order(query, xyz, k)
        assert torch.equal(idx, ref_i)
        assert torch.equal(dist2, ref_d)
        scan = knn_module._knn_cpu_kernel(query.numpy(), xyz.numpy(), k)
        assert (knn_module._knn_kdtree(query.numpy(), xyz.numpy(), k) == scan).all()


def test_kdtree_ties_beyond_candidates_fall_back_to_scan():
    """50 copies of one point: the tree's K + extra candidates cannot settle the tie,
    the scan must (the lowest indices win)."""
    xyz = torch.cat([torch.ones(1, 10, 3) * 9, torch.zeros(1, 50, 3),
                     torch.rand(1, 940, 3) + 2], dim=1)
    query = torch.zeros(1, 300, 3)
    idx = knn_module._knn_kdtree(query.numpy(), xyz.numpy(), 5)
    assert (idx == list(range(10, 15))).all()
