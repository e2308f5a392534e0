"""3-nearest-neighbour inverse-distance interpolation (PointNet++ feature propagation).

Features known at ``M`` coarse points are carried to ``N`` fine points: every fine
point takes the weighted mean of the features of its 3 nearest coarse points, the
weights being ``1 / (distance + eps)`` normalised to sum to one. On CUDA the
neighbour search and the weighted sum use mmcv's ``three_nn`` /
``three_interpolate`` kernels; on CPU the search is the core's blocked
``knn_query`` and the weighted sum runs over blocks of fine points, so memory
stays bounded for any ``N`` and ``M``.
"""
from typing import Tuple

import torch
from torch import Tensor

from ._mmcv_cuda import mmcv_cuda_op
from ._validation import check_xyz
from .knn import gather_points, knn_query

# Upper bound on the (B, n, 3, C) float32 block of gathered features on CPU.
_CPU_BLOCK_BYTES = 128 * 1024 * 1024


def three_nn(unknown: Tensor, known: Tensor) -> Tuple[Tensor, Tensor]:
    """The 3 nearest known points of every unknown point, in the same sample.

    Args:
        unknown: (B, N, 3) coordinates of the points to interpolate to.
        known: (B, M, 3) coordinates of the points carrying features; M >= 3.

    Returns:
        dist: (B, N, 3) Euclidean distances, ascending.
        idx: (B, N, 3) int64 indices into M.
    """
    check_xyz(unknown, 'unknown')
    check_xyz(known, 'known')
    if unknown.shape[0] != known.shape[0]:
        raise ValueError(f'unknown has batch size {unknown.shape[0]} but known has '
                         f'{known.shape[0]}; they must match')
    if known.shape[1] < 3:
        raise ValueError(
            f'three_nn needs at least 3 known points per sample, got {known.shape[1]}; '
            'keep at least 3 points at every level of the hierarchy')
    if unknown.is_cuda and known.is_cuda:
        mmcv_three_nn = mmcv_cuda_op('three_nn', 'three_nn')
        dist, idx = mmcv_three_nn(unknown.float().contiguous(),
                                  known.float().contiguous())  # (B, N, 3) each
        return dist, idx.long()
    dist2, idx = knn_query(unknown, known, 3)  # (B, N, 3) each
    return dist2.clamp_min(0).sqrt(), idx


def three_interpolate(feats: Tensor, idx: Tensor, weight: Tensor,
                      block_bytes: int = _CPU_BLOCK_BYTES) -> Tensor:
    """Weighted sum of 3 gathered feature rows per output point.

    Args:
        feats: (B, M, C) features of the known points.
        idx: (B, N, 3) int64 indices into M.
        weight: (B, N, 3) weights (usually summing to one over the last dim).
        block_bytes: CPU memory bound of one (B, n, 3, C) gathered block.

    Returns:
        (B, N, C) interpolated features; differentiable with respect to
        ``feats`` and ``weight``.
    """
    if feats.dim() != 3:
        raise ValueError(f'feats must have shape (B, M, C), got {tuple(feats.shape)}')
    if idx.shape != weight.shape or idx.dim() != 3 or idx.shape[-1] != 3:
        raise ValueError(f'idx and weight must both have shape (B, N, 3), got '
                         f'{tuple(idx.shape)} and {tuple(weight.shape)}')
    if idx.shape[0] != feats.shape[0]:
        raise ValueError(f'idx has batch size {idx.shape[0]} but feats has '
                         f'{feats.shape[0]}')
    if feats.is_cuda:
        mmcv_three_interpolate = mmcv_cuda_op('three_interpolate', 'three_interpolate')
        out = mmcv_three_interpolate(
            feats.float().transpose(1, 2).contiguous(),  # (B, C, M)
            idx.int().contiguous(), weight.float().contiguous())  # (B, C, N)
        return out.transpose(1, 2).to(feats.dtype)  # (B, N, C)
    batch_size, num_out, _ = idx.shape
    channels = feats.shape[-1]
    rows = max(1, block_bytes // (4 * batch_size * 3 * max(channels, 1)))
    out = []
    for start in range(0, num_out, rows):
        picked = gather_points(feats, idx[:, start:start + rows])  # (B, n, 3, C)
        w = weight[:, start:start + rows].unsqueeze(-1).to(feats.dtype)  # (B, n, 3, 1)
        out.append((picked * w).sum(dim=2))  # (B, n, C)
    return torch.cat(out, dim=1)  # (B, N, C)


def three_nn_interpolate(unknown: Tensor, known: Tensor, known_feats: Tensor,
                         eps: float = 1e-8) -> Tensor:
    """Interpolate ``known_feats`` onto ``unknown`` by inverse-distance weighting.

    Args:
        unknown: (B, N, 3) coordinates of the points to interpolate to.
        known: (B, M, 3) coordinates of the points carrying features; M >= 3.
        known_feats: (B, M, C) features at ``known``.
        eps: added to distances so a point that coincides with a known point
            gets (almost) all of its weight without dividing by zero.

    Returns:
        (B, N, C) interpolated features.
    """
    if known_feats.shape[:2] != known.shape[:2]:
        raise ValueError(f'known_feats has shape {tuple(known_feats.shape)} but known '
                         f'has {tuple(known.shape)}; the first two dimensions must match')
    dist, idx = three_nn(unknown, known)  # (B, N, 3) each
    recip = 1.0 / (dist + eps)  # (B, N, 3)
    weight = recip / recip.sum(dim=-1, keepdim=True)  # (B, N, 3)
    return three_interpolate(known_feats, idx, weight)


def three_nn_interpolate_reference(unknown: Tensor, known: Tensor,
                                   known_feats: Tensor, eps: float = 1e-8) -> Tensor:
    """Brute-force reference of :func:`three_nn_interpolate` for tests.

    Holds the full (B, N, M) distance matrix: use on small inputs only.

    Args:
        unknown: (B, N, 3) coordinates.
        known: (B, M, 3) coordinates.
        known_feats: (B, M, C) features.
        eps: see :func:`three_nn_interpolate`.

    Returns:
        (B, N, C) interpolated features.
    """
    dist = torch.cdist(unknown.double(), known.double())  # (B, N, M)
    d3, i3 = dist.topk(3, dim=-1, largest=False)  # (B, N, 3)
    recip = 1.0 / (d3 + eps)
    weight = recip / recip.sum(-1, keepdim=True)  # (B, N, 3)
    feats = known_feats.double()
    out = torch.zeros(*unknown.shape[:2], feats.shape[-1], dtype=torch.float64,
                      device=feats.device)  # (B, N, C)
    for b in range(unknown.shape[0]):
        for j in range(3):
            out[b] += weight[b, :, j:j + 1] * feats[b, i3[b, :, j]]
    return out.to(known_feats.dtype)
