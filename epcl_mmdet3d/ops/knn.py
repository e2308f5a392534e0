"""k-nearest-neighbour search on CPU and CUDA with one contract, and the gather that reads
the neighbours (or any per-sample indices) out of a cloud."""
from typing import Tuple

import numba
import numpy as np
import torch
from scipy.spatial import cKDTree
from torch import Tensor

from ._mmcv_cuda import mmcv_cuda_op
from ._validation import check_xyz

# Upper bound on the (B, m, N) float32 distance block the CPU path holds at once.
_CPU_BLOCK_BYTES = 256 * 1024 * 1024
# The CPU path switches from the compiled scan (cost ~ M * N per cloud) to a k-d tree
# (~ N log N + M * K log N) at M * N >= this. Crossover measured by
# benchmarks/bench_sampling.py (2 threads: about equal at M * N = 2^16, the tree
# 2-4x faster from 2^21).
KDTREE_MIN_WORK = 1 << 18
# Candidates the tree returns beyond K, so that ties at the K-th place can be settled.
_KDTREE_EXTRA = 8
# Relative slack covering float32 rounding of a squared distance (a few ulp) against
# the tree's float64 distances.
_F32_SLACK = 1e-6


def gather_points(x: Tensor, idx: Tensor) -> Tensor:
    """Pick rows of ``x`` per sample.

    Args:
        x: (B, N, C) points or features.
        idx: (B, ...) int64 indices into N.

    Returns:
        (B, ..., C) gathered rows; differentiable with respect to ``x``.
    """
    if idx.shape[0] != x.shape[0]:
        raise ValueError(f'idx has batch size {idx.shape[0]} but x has {x.shape[0]}')
    batch_size, _, channels = x.shape
    flat = idx.reshape(batch_size, -1, 1).expand(-1, -1, channels)  # (B, L, C)
    return x.gather(1, flat).reshape(*idx.shape, channels)  # (B, ..., C)


def knn_query(query: Tensor, xyz: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    """For every query point, the ``k`` nearest points of ``xyz`` in the same sample.

    CUDA: mmcv's kernel (k <= 100). CPU: a compiled scan (numba) with O(K) memory
    per query for small clouds, a k-d tree (scipy's cKDTree) from
    ``M * N >= KDTREE_MIN_WORK``; both give the same neighbours (ties: the lower
    index first). :func:`knn_query_reference` is a blocked torch version for any
    device.

    Args:
        query: (B, M, 3) query coordinates.
        xyz: (B, N, 3) coordinates searched.
        k: neighbours per query; 1 <= k <= N.

    Returns:
        dist2: (B, M, K) squared distances, ascending along K.
        idx: (B, M, K) int64 indices into N. An empty batch (B = 0) gives empty results.
    """
    check_xyz(query, 'query')
    check_xyz(xyz, 'xyz')
    if query.shape[0] != xyz.shape[0]:
        raise ValueError(f'query has batch size {query.shape[0]} but xyz has '
                         f'{xyz.shape[0]}; they must match')
    num_points = xyz.shape[1]
    if not 1 <= k <= num_points:
        raise ValueError(
            f'knn_query was asked for k={k} neighbours among {num_points} points; '
            'it needs 1 <= k <= num_points. Lower k or feed more points per cloud')
    if not query.shape[0]:  # an empty batch: nothing to search (gather cannot reshape it)
        return (query.new_zeros(0, query.shape[1], k),
                torch.zeros(0, query.shape[1], k, dtype=torch.long, device=query.device))
    if xyz.is_cuda and query.is_cuda and k <= 100:
        mmcv_knn = mmcv_cuda_op('knn', 'knn_query')
        # mmcv returns (B, K, M) int32, sorted by distance
        idx = mmcv_knn(k, xyz.float().contiguous(), query.float().contiguous())
        idx = idx.transpose(1, 2).long().contiguous()  # (B, M, K)
    elif query.device.type == 'cpu' and xyz.device.type == 'cpu':
        query_np = query.detach().float().contiguous().numpy()
        xyz_np = xyz.detach().float().contiguous().numpy()
        if query.shape[1] * num_points >= KDTREE_MIN_WORK and k < num_points:
            idx = torch.from_numpy(_knn_kdtree(query_np, xyz_np, k))
        else:
            idx = torch.from_numpy(_knn_cpu_kernel(query_np, xyz_np, k))
    else:
        idx = knn_query_reference(query, xyz, k)
    neighbours = gather_points(xyz, idx)  # (B, M, K, 3)
    dist2 = (neighbours - query.unsqueeze(2)).square().sum(-1)  # (B, M, K)
    # exact distances recomputed: re-sort so ties and rounding agree across devices
    dist2, order = dist2.sort(dim=-1, stable=True)
    idx = idx.gather(-1, order)
    return dist2, idx


def _knn_kdtree(query: np.ndarray, xyz: np.ndarray, k: int) -> np.ndarray:
    """Exact kNN through a k-d tree per cloud, with the compiled scan's result.

    The tree ranks by float64 distance, the scan by float32 squared distance with the
    earlier point first on ties. Where the tree's first K + 1 distances are apart by
    more than float32 rounding, both orders agree and the tree's K are taken as they
    are. Queries with a (near-)tie among them are ranked the scan's way over
    ``k + _KDTREE_EXTRA`` candidates; the rare query whose tie straddles even that
    boundary goes through the scan.

    Args:
        query: (B, M, 3) float32 array.
        xyz: (B, N, 3) float32 array.
        k: K, smaller than N.

    Returns:
        (B, M, K) int64 array, nearest first.
    """
    batch_size, num_query, _ = query.shape
    num_points = xyz.shape[1]
    num_cand = min(num_points, k + _KDTREE_EXTRA)
    workers = max(1, torch.get_num_threads())
    low, high = 1 - _F32_SLACK, 1 + _F32_SLACK
    out = np.empty((batch_size, num_query, k), dtype=np.int64)
    for b in range(batch_size):
        dist, cand = cKDTree(xyz[b]).query(query[b], k=num_cand, workers=workers)
        dist2 = dist.reshape(num_query, num_cand) ** 2  # (M, C) float64, ascending
        cand = cand.reshape(num_query, num_cand)  # (M, C)
        out[b] = cand[:, :k]
        # a gap within float32 rounding among the first K + 1: ranks may differ
        near = (dist2[:, 1:k + 1] * low <= dist2[:, :k] * high).any(axis=1)  # (M,)
        rows = np.nonzero(near)[0]
        if not len(rows):
            continue
        rcand = np.sort(cand[rows], axis=1)  # (R, C) index order: stable sort keeps it
        diff = xyz[b][rcand] - query[b][rows][:, None, :]  # (R, C, 3) float32
        d2 = diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1] \
            + diff[..., 2] * diff[..., 2]  # (R, C), the scan's float32 arithmetic
        order = np.argsort(d2, axis=1, kind='stable')[:, :k]  # (R, K)
        out[b, rows] = np.take_along_axis(rcand, order, axis=1)
        if num_cand == num_points:
            continue  # every point was a candidate
        kth = np.take_along_axis(d2, order[:, -1:], axis=1)[:, 0]  # (R,) float32
        # points outside the candidates are at least this far (float64)
        unsettled = rows[dist2[rows, -1] * low <= kth.astype(np.float64) * high]
        if len(unsettled):
            out[b, unsettled] = _knn_cpu_kernel(
                np.ascontiguousarray(query[b:b + 1, unsettled]), xyz[b:b + 1], k)[0]
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _knn_cpu_kernel(query: np.ndarray, xyz: np.ndarray, k: int) -> np.ndarray:
    """Compiled exact kNN, all queries in parallel, O(K) memory per query.

    Each query scans every point and keeps its K best in a sorted buffer (insertion
    sort; the earlier point wins a tie).

    Args:
        query: (B, M, 3) float32 array.
        xyz: (B, N, 3) float32 array.
        k: K.

    Returns:
        (B, M, K) int64 array, nearest first.
    """
    batch_size, num_query, _ = query.shape
    num_points = xyz.shape[1]
    out = np.empty((batch_size, num_query, k), dtype=np.int64)
    for flat in numba.prange(batch_size * num_query):
        b = flat // num_query
        m = flat % num_query
        best_d = np.full(k, np.inf, dtype=np.float32)
        best_i = np.zeros(k, dtype=np.int64)
        qx, qy, qz = query[b, m, 0], query[b, m, 1], query[b, m, 2]
        for j in range(num_points):
            dx = xyz[b, j, 0] - qx
            dy = xyz[b, j, 1] - qy
            dz = xyz[b, j, 2] - qz
            d = dx * dx + dy * dy + dz * dz
            if d < best_d[k - 1]:
                pos = k - 1
                while pos > 0 and best_d[pos - 1] > d:
                    best_d[pos] = best_d[pos - 1]
                    best_i[pos] = best_i[pos - 1]
                    pos -= 1
                best_d[pos] = d
                best_i[pos] = j
        out[b, m] = best_i
    return out


@torch.no_grad()
def knn_query_reference(query: Tensor, xyz: Tensor, k: int,
                        block_bytes: int = _CPU_BLOCK_BYTES) -> Tensor:
    """Blocked exact kNN in plain torch: never holds more than ``block_bytes`` of distances.

    Args:
        query: (B, M, 3) query coordinates.
        xyz: (B, N, 3) coordinates searched.
        k: neighbours per query.
        block_bytes: memory bound of one (B, m, N) float32 distance block.

    Returns:
        (B, M, K) int64 indices, nearest first.
    """
    batch_size, num_query, _ = query.shape
    num_points = xyz.shape[1]
    query = query.float()
    xyz = xyz.float()
    rows = max(1, block_bytes // (4 * batch_size * num_points))
    xyz_t = xyz.transpose(1, 2)  # (B, 3, N)
    xyz_sq = xyz.square().sum(-1).unsqueeze(1)  # (B, 1, N)
    out = []
    for start in range(0, num_query, rows):
        q = query[:, start:start + rows]  # (B, m, 3)
        # |q - x|^2 = |q|^2 + |x|^2 - 2 q.x, (B, m, N)
        dist2 = torch.baddbmm(xyz_sq + q.square().sum(-1, keepdim=True), q, xyz_t,
                              alpha=-2.0)
        out.append(dist2.topk(k, dim=-1, largest=False, sorted=True).indices)
    return torch.cat(out, dim=1)  # (B, M, K)
