"""mmcv's CUDA-only point ops on CPU tensors, through mmcv's own entry points."""
import pytest
import torch
from mmcv.ops import (
    ball_query,
    furthest_point_sample,
    furthest_point_sample_with_dist,
    gather_points,
    grouping_operation,
    knn,
    three_interpolate,
    three_nn,
)
from mmdet3d.models.layers import PointFPModule, PointSAModule
from mmdet3d.structures import DepthInstance3DBoxes

import epcl_mmdet3d.ops.enable_mmcv_cpu_fallback  # noqa: F401  (opt-in CPU paths)
from epcl_mmdet3d.ops import (
    ball_query_reference,
    furthest_point_sample_reference,
    three_nn_interpolate_reference,
)


def _cloud(batch=2, num=64, seed=0):
    return torch.rand(batch, num, 3, generator=torch.Generator().manual_seed(seed))


def test_sampling_and_search_match_the_references():
    xyz = _cloud()
    idx = furthest_point_sample(xyz, 16)
    assert idx.dtype == torch.int32 and idx.shape == (2, 16)
    assert torch.equal(idx.long(), furthest_point_sample_reference(xyz, 16))
    dist = torch.cdist(xyz, xyz)  # (B, N, N)
    assert torch.equal(furthest_point_sample_with_dist(dist.square(), 16).long(),
                       furthest_point_sample_reference(xyz, 16))
    centers = xyz[:, :10].contiguous()
    bq = ball_query(0.0, 0.3, 8, xyz, centers)
    assert bq.dtype == torch.int32 and bq.shape == (2, 10, 8)
    assert torch.equal(bq.long(), ball_query_reference(centers, xyz, 0.3, 8))
    nn_idx = knn(5, xyz, centers)  # mmcv's layout: (B, k, M)
    assert nn_idx.shape == (2, 5, 10)
    assert torch.equal(nn_idx.transpose(1, 2).long(),
                       torch.cdist(centers, xyz).topk(5, largest=False).indices)


def test_gather_and_group_values_and_gradients():
    feats = torch.randn(2, 4, 64, requires_grad=True)  # (B, C, N)
    idx = torch.randint(0, 64, (2, 10), dtype=torch.int32)
    out = gather_points(feats, idx)  # (B, C, M)
    expected = torch.stack([feats[b][:, idx[b].long()] for b in range(2)])
    assert torch.equal(out, expected)
    (grad, ) = torch.autograd.grad(out.sum(), feats)
    counts = torch.stack([torch.bincount(idx[b].long(), minlength=64) for b in range(2)])
    assert torch.equal(grad, counts.unsqueeze(1).expand(-1, 4, -1).float())
    gidx = torch.randint(0, 64, (2, 10, 3), dtype=torch.int32)
    grouped = grouping_operation(feats, gidx)  # (B, C, P, S)
    assert grouped.shape == (2, 4, 10, 3)
    assert torch.equal(grouped[1, :, 7, 2], feats[1, :, gidx[1, 7, 2].long()])
    assert torch.autograd.gradcheck(
        lambda f: grouping_operation(f, gidx), feats.double().detach().requires_grad_())


def test_three_nn_interpolate_matches_the_reference():
    known, unknown = _cloud(num=20, seed=1), _cloud(num=50, seed=2)
    feats = torch.randn(2, 20, 6)  # (B, M, C)
    dist, idx = three_nn(unknown, known)
    assert idx.dtype == torch.int32 and dist.shape == (2, 50, 3)
    recip = 1.0 / (dist + 1e-8)
    weight = recip / recip.sum(-1, keepdim=True)
    out = three_interpolate(feats.transpose(1, 2).contiguous(), idx, weight)  # (B, C, N)
    ref = three_nn_interpolate_reference(unknown, known, feats)  # (B, N, C)
    assert torch.allclose(out.transpose(1, 2), ref, atol=1e-5)
    feats64 = feats.double().transpose(1, 2).contiguous().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda f: three_interpolate(f, idx, weight.double()), feats64)


def test_points_in_boxes_on_depth_boxes():
    # two boxes given by gravity centre + size, the second inside the first
    boxes = DepthInstance3DBoxes(torch.tensor([[0., 0, 0, 2, 2, 2, 0],
                                               [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0]]),
                                 origin=(0.5, 0.5, 0.5))
    points = torch.tensor([[0., 0, 0], [0.5, 0.5, 0.5], [5, 5, 5]])
    assert boxes.points_in_boxes_all(points).tolist() == [[1, 0], [1, 1], [0, 0]]
    assert boxes.points_in_boxes_part(points).tolist() == [0, 0, -1]


def test_pointnet2_layers_run_and_train_on_cpu():
    xyz = _cloud(num=128)
    feats = torch.randn(2, 1, 128)  # (B, C, N)
    sa = PointSAModule(num_point=24, radius=0.3, num_sample=8, mlp_channels=[1, 16, 32])
    new_xyz, new_feats, idx = sa(xyz, feats)
    assert new_xyz.shape == (2, 24, 3) and new_feats.shape == (2, 32, 24)
    assert idx.shape == (2, 24)
    fp = PointFPModule(mlp_channels=[32 + 1, 16])
    up = fp(xyz, new_xyz, feats, new_feats)  # (B, 16, N)
    assert up.shape == (2, 16, 128)
    up.sum().backward()
    assert all(p.grad is not None for p in sa.parameters() if p.requires_grad)


@pytest.mark.cuda
def test_cuda_keeps_mmcv_kernels():
    xyz = _cloud().cuda()
    assert torch.equal(furthest_point_sample(xyz, 16).cpu(),
                       furthest_point_sample(xyz.cpu(), 16))
    centers = xyz[:, :10].contiguous()
    assert torch.equal(ball_query(0.0, 0.3, 8, xyz, centers).cpu(),
                       ball_query(0.0, 0.3, 8, xyz.cpu(), centers.cpu()))
