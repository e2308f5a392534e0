"""CPU paths for mmcv's CUDA-only point ops, so mmdet3d's point-based models run on a CPU.

mmcv 2.1 compiles ``furthest_point_sample``, ``gather_points``, ``ball_query``,
``grouping_operation``, ``three_nn``, ``three_interpolate``, ``knn`` and
``points_in_boxes_all`` / ``_part`` for CUDA only (their wrappers even allocate CUDA
tensors), and mmdet3d's PointNet++ layers and its VoteNet / GroupFree3D /
PointNet2 heads call them. :func:`install_mmcv_cpu_fallback` gives each of these
ops a CPU branch: CUDA tensors still go to mmcv's kernels unchanged, CPU tensors go
to this package's ops (:mod:`epcl_mmdet3d.ops`) or to mmcv's own
``points_in_boxes_cpu``, with mmcv's argument order, layouts, dtypes (int32
indices) and gradients (``three_interpolate`` gives none to its weights, as mmcv).

The ops are ``torch.autograd.Function`` subclasses whose ``apply`` is what
mmdet3d imports; ``apply`` looks ``forward`` / ``backward`` up on the class at call
time, so replacing those two on the class reaches every import site. The two
``points_in_boxes`` functions are looked up in mmdet3d's box module, which is
where they are replaced. Stacked (``*_batch_cnt``) variants, used by mmdet3d's
PV-RCNN / PointRCNN stack modules, keep mmcv's CUDA path only.
"""
import importlib
from typing import Callable, Optional, Tuple

import torch
from torch import Tensor

from .ball_query import ball_query
from .furthest_point_sample import furthest_point_sample
from .knn import knn_query
from .three_interpolate import three_nn


def _fps(ctx, points_xyz: Tensor, num_points: int) -> Tensor:
    """(B, N, 3) -> (B, M) int32."""
    idx = furthest_point_sample(points_xyz, num_points).int()
    ctx.mark_non_differentiable(idx)
    return idx


def _fps_with_dist(ctx, points_dist: Tensor, num_points: int) -> Tensor:
    """FPS on a precomputed distance matrix, mmcv's rule: start at 0, take the argmax of
    the running minimum. (B, N, N) -> (B, M) int32."""
    batch_size, num_all, _ = points_dist.shape
    batch_idx = torch.arange(batch_size)
    picked = torch.zeros(batch_size, num_points, dtype=torch.int32)
    min_dist = torch.full((batch_size, num_all), 1e10, dtype=points_dist.dtype)  # (B, N)
    current = torch.zeros(batch_size, dtype=torch.long)
    for i in range(1, num_points):
        torch.minimum(min_dist, points_dist[batch_idx, current], out=min_dist)
        current = min_dist.argmax(dim=1)  # (B,)
        picked[:, i] = current.int()
    ctx.mark_non_differentiable(picked)
    return picked


def _gather_points(ctx, features: Tensor, indices: Tensor) -> Tensor:
    """(B, C, N) by (B, M) -> (B, C, M)."""
    idx = indices.long().unsqueeze(1).expand(-1, features.shape[1], -1)  # (B, C, M)
    ctx.epcl_saved = (idx, features.shape[2])
    ctx.mark_non_differentiable(indices)
    return features.gather(2, idx)


def _gather_points_backward(ctx, grad_out: Tensor) -> Tuple[Tensor, None]:
    idx, num_points = ctx.epcl_saved
    grad = grad_out.new_zeros(*grad_out.shape[:2], num_points)  # (B, C, N)
    return grad.scatter_add_(2, idx, grad_out.contiguous()), None


def _ball_query(ctx, min_radius: float, max_radius: float, sample_num: int, xyz: Tensor,
                center_xyz: Tensor, xyz_batch_cnt: Optional[Tensor] = None,
                center_xyz_batch_cnt: Optional[Tensor] = None) -> Tensor:
    """(B, N, 3), (B, M, 3) -> (B, M, S) int32."""
    if xyz_batch_cnt is not None or center_xyz_batch_cnt is not None:
        raise NotImplementedError(
            'the stacked (batch_cnt) ball query of mmcv has no CPU path; it serves '
            "mmdet3d's stack set-abstraction modules (PV-RCNN, PointRCNN): run those on CUDA")
    idx = ball_query(center_xyz, xyz, max_radius, sample_num, min_radius).int()
    ctx.mark_non_differentiable(idx)
    return idx


def _grouping(ctx, features: Tensor, indices: Tensor,
              features_batch_cnt: Optional[Tensor] = None,
              indices_batch_cnt: Optional[Tensor] = None) -> Tensor:
    """(B, C, N) by (B, P, S) -> (B, C, P, S)."""
    if features_batch_cnt is not None or indices_batch_cnt is not None:
        raise NotImplementedError(
            'the stacked (batch_cnt) grouping of mmcv has no CPU path; it serves '
            "mmdet3d's stack set-abstraction modules (PV-RCNN, PointRCNN): run those on CUDA")
    batch_size, channels, _ = features.shape
    _, num_groups, group_size = indices.shape
    idx = indices.long().reshape(batch_size, 1, -1).expand(-1, channels, -1)  # (B, C, P*S)
    ctx.epcl_saved = (idx, features.shape[2])
    out = features.gather(2, idx)  # (B, C, P*S)
    return out.reshape(batch_size, channels, num_groups, group_size)  # (B, C, P, S)


def _grouping_backward(ctx, grad_out: Tensor) -> Tuple[Tensor, None]:
    idx, num_points = ctx.epcl_saved
    batch_size, channels = grad_out.shape[:2]
    grad = grad_out.new_zeros(batch_size, channels, num_points)  # (B, C, N)
    flat = grad_out.reshape(batch_size, channels, -1)  # (B, C, P*S)
    return grad.scatter_add_(2, idx, flat), None


def _three_nn(ctx, target: Tensor, source: Tensor) -> Tuple[Tensor, Tensor]:
    """(B, N, 3), (B, M, 3) -> distances (B, N, 3) (not squared), int32 indices."""
    dist, idx = three_nn(target, source)
    idx = idx.int()
    ctx.mark_non_differentiable(idx)
    return dist.to(target.dtype), idx


def _three_interpolate(ctx, features: Tensor, indices: Tensor, weight: Tensor) -> Tensor:
    """(B, C, M) at (B, N, 3) indices with (B, N, 3) weights -> (B, C, N)."""
    batch_size, channels, _ = features.shape
    num_out = indices.shape[1]
    idx = indices.long().reshape(batch_size, 1, -1).expand(-1, channels, -1)  # (B, C, N*3)
    picked = features.gather(2, idx).reshape(batch_size, channels, num_out, 3)  # (B, C, N, 3)
    ctx.epcl_saved = (idx, weight, features.shape[2])
    return (picked * weight.unsqueeze(1)).sum(-1)  # (B, C, N)


def _three_interpolate_backward(ctx, grad_out: Tensor) -> Tuple[Tensor, None, None]:
    idx, weight, num_known = ctx.epcl_saved
    batch_size, channels = grad_out.shape[:2]
    spread = (grad_out.unsqueeze(-1) * weight.unsqueeze(1))  # (B, C, N, 3)
    grad = grad_out.new_zeros(batch_size, channels, num_known)  # (B, C, M)
    # mmcv gives no gradient to the weights (nor to the indices)
    return grad.scatter_add_(2, idx, spread.reshape(batch_size, channels, -1)), None, None


def _knn(ctx, k: int, xyz: Tensor, center_xyz: Optional[Tensor] = None,
         transposed: bool = False) -> Tensor:
    """(B, N, 3) searched around (B, M, 3) centres -> (B, k, M) int32 (mmcv's layout)."""
    if center_xyz is None:
        center_xyz = xyz
    if transposed:
        xyz = xyz.transpose(2, 1).contiguous()  # (B, N, 3)
        center_xyz = center_xyz.transpose(2, 1).contiguous()  # (B, M, 3)
    _, idx = knn_query(center_xyz, xyz, k)  # (B, M, k)
    idx = idx.transpose(1, 2).int().contiguous()  # (B, k, M)
    ctx.mark_non_differentiable(idx)
    return idx


def _first_tensor_on_cpu(args) -> bool:
    for arg in args:
        if isinstance(arg, Tensor):
            return arg.device.type == 'cpu'
    return False


def _patch_function(cls: type, cpu_forward: Callable,
                    cpu_backward: Optional[Callable] = None) -> None:
    """Give an mmcv autograd Function a CPU branch; CUDA calls are left untouched."""
    if getattr(cls, '_epcl_cpu_fallback', False):
        return
    cuda_forward, cuda_backward = cls.forward, cls.backward

    def forward(ctx, *args):
        if _first_tensor_on_cpu(args):
            ctx.epcl_cpu = True
            return cpu_forward(ctx, *args)
        return cuda_forward(ctx, *args)

    def backward(ctx, *grads):
        if cpu_backward is not None and getattr(ctx, 'epcl_cpu', False):
            return cpu_backward(ctx, *grads)
        return cuda_backward(ctx, *grads)  # index ops: mmcv's own returns only Nones

    cls.forward = staticmethod(forward)
    cls.backward = staticmethod(backward)
    cls._epcl_cpu_fallback = True


def _points_in_boxes_functions() -> Tuple[Callable, Callable]:
    from mmcv.ops import points_in_boxes_all, points_in_boxes_cpu, points_in_boxes_part

    def all_boxes(points: Tensor, boxes: Tensor) -> Tensor:
        """(B, M, 3) points, (B, T, 7) boxes -> (B, M, T) int32, 1 where inside."""
        if points.is_cuda:
            return points_in_boxes_all(points, boxes)
        return points_in_boxes_cpu(points, boxes.to(points.device))

    def first_box(points: Tensor, boxes: Tensor) -> Tensor:
        """(B, M, 3) points, (B, T, 7) boxes -> (B, M) int32: the first box holding
        each point, -1 for none (mmcv's rule)."""
        if points.is_cuda:
            return points_in_boxes_part(points, boxes)
        if boxes.shape[1] == 0:
            return points.new_full(points.shape[:2], -1, dtype=torch.int32)
        inside = points_in_boxes_cpu(points, boxes.to(points.device))  # (B, M, T)
        first = inside.argmax(dim=-1)  # (B, M), the first maximum
        return torch.where(inside.any(dim=-1), first, -1).int()

    all_boxes._epcl_cpu_fallback = first_box._epcl_cpu_fallback = True
    return all_boxes, first_box


def install_mmcv_cpu_fallback() -> None:
    """Give mmcv's CUDA-only point ops a CPU branch (idempotent).

    Opt-in: called when ``epcl_mmdet3d.ops.enable_mmcv_cpu_fallback`` is imported (a
    config's ``custom_imports``), never by importing ``epcl_mmdet3d`` itself. Tensors on
    CUDA keep mmcv's kernels.
    """
    patches = (
        ('furthest_point_sample', 'FurthestPointSampling', _fps, None),
        ('furthest_point_sample', 'FurthestPointSamplingWithDist', _fps_with_dist, None),
        ('gather_points', 'GatherPoints', _gather_points, _gather_points_backward),
        ('ball_query', 'BallQuery', _ball_query, None),
        ('group_points', 'GroupingOperation', _grouping, _grouping_backward),
        ('three_nn', 'ThreeNN', _three_nn, None),
        ('three_interpolate', 'ThreeInterpolate', _three_interpolate,
         _three_interpolate_backward),
        ('knn', 'KNN', _knn, None),
    )
    for module_name, cls_name, cpu_forward, cpu_backward in patches:
        module = importlib.import_module(f'mmcv.ops.{module_name}')
        _patch_function(getattr(module, cls_name), cpu_forward, cpu_backward)
    box_module = importlib.import_module('mmdet3d.structures.bbox_3d.base_box3d')
    if not getattr(box_module.points_in_boxes_all, '_epcl_cpu_fallback', False):
        box_module.points_in_boxes_all, box_module.points_in_boxes_part = \
            _points_in_boxes_functions()
