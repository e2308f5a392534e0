import pytest
import torch

from epcl_mmdet3d.ops import furthest_point_sample, furthest_point_sample_reference


def brute_force_fps(points, m):
    """Textbook FPS on one cloud, python loops: start at 0, then the farthest point."""
    picked = [0]
    for _ in range(m - 1):
        best, best_d = None, -1.0
        for i, p in enumerate(points):
            d = min(sum((p[c] - points[j][c]) ** 2 for c in range(3)) for j in picked)
            if d > best_d:
                best, best_d = i, d
        picked.append(best)
    return picked


def test_hand_checked_line():
    # points on the x axis at 0, 1, 2, 10
    xyz = torch.tensor([[[0., 0, 0], [1, 0, 0], [2, 0, 0], [10, 0, 0]]])
    # 0 first; 10 is farthest from 0; then 2 (distance 2 to {0, 10}) beats 1 (distance 1)
    assert furthest_point_sample(xyz, 3).tolist() == [[0, 3, 2]]
    assert furthest_point_sample(xyz, 4).tolist() == [[0, 3, 2, 1]]


def test_matches_brute_force_batched():
    torch.manual_seed(0)
    xyz = torch.rand(3, 50, 3)
    idx = furthest_point_sample(xyz, 12)
    assert idx.shape == (3, 12) and idx.dtype == torch.long
    for b in range(3):
        assert idx[b].tolist() == brute_force_fps(xyz[b].tolist(), 12)
    # each sample is independent of the others in the batch
    assert torch.equal(furthest_point_sample(xyz[1:2], 12)[0], idx[1])


def test_picks_distinct_points():
    xyz = torch.rand(2, 100, 3)
    idx = furthest_point_sample(xyz, 100)
    for b in range(2):
        assert len(set(idx[b].tolist())) == 100


@pytest.mark.parametrize('m', [0, 6])
def test_bad_sample_count(m):
    with pytest.raises(ValueError, match='num_samples'):
        furthest_point_sample(torch.rand(1, 5, 3), m)


def test_nan_coordinates():
    xyz = torch.rand(2, 10, 3)
    xyz[1, 4, 2] = float('nan')
    with pytest.raises(ValueError, match='sample 1, point 4'):
        furthest_point_sample(xyz, 3)


def test_wrong_shape():
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        furthest_point_sample(torch.rand(2, 10, 6), 3)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    torch.manual_seed(0)
    xyz = torch.rand(2, 2000, 3)
    cpu = furthest_point_sample_reference(xyz, 128)
    gpu = furthest_point_sample(xyz.cuda(), 128).cpu()
    assert gpu.dtype == torch.long
    assert torch.equal(cpu, gpu)


@pytest.mark.parametrize('shape', [(1, 7, 3), (3, 500, 3), (2, 3000, 3)])
def test_compiled_cpu_path_matches_reference(shape):
    torch.manual_seed(1)
    xyz = torch.randn(*shape) * 4
    m = min(64, shape[1])
    assert torch.equal(furthest_point_sample(xyz, m),
                       furthest_point_sample_reference(xyz, m))
