"""Ball query (PointNet++ grouping) on CPU, with mmcv's kernel semantics."""
import numba
import numpy as np
import torch
from torch import Tensor

from ._validation import check_xyz


def ball_query(center_xyz: Tensor, xyz: Tensor, max_radius: float, sample_num: int,
               min_radius: float = 0.0) -> Tensor:
    """Up to ``sample_num`` points of ``xyz`` within a ball around every centre.

    The rule is mmcv's ``ball_query`` kernel: points are scanned in their stored
    order; a point is taken when its squared distance ``d2`` is 0 or lies in
    ``[min_radius**2, max_radius**2)``; the first point taken also fills every slot,
    so a ball with fewer than ``sample_num`` points repeats its first point; a ball
    with no point keeps index 0. On CUDA mmcv's kernel runs, on CPU a compiled
    scan with the same arithmetic (float32).

    Args:
        center_xyz: (B, M, 3) ball centres.
        xyz: (B, N, 3) points searched.
        max_radius: outer radius (exclusive).
        sample_num: S, indices per ball.
        min_radius: inner radius (inclusive); 0 for a full ball.

    Returns:
        (B, M, S) int64 indices into N.
    """
    check_xyz(center_xyz, 'center_xyz')
    check_xyz(xyz, 'xyz')
    if center_xyz.shape[0] != xyz.shape[0]:
        raise ValueError(f'center_xyz has batch size {center_xyz.shape[0]} but xyz has '
                         f'{xyz.shape[0]}; they must match')
    if not 0 <= min_radius < max_radius:
        raise ValueError(f'ball_query needs 0 <= min_radius < max_radius, got '
                         f'min_radius={min_radius}, max_radius={max_radius}')
    if sample_num < 1:
        raise ValueError(f'sample_num must be positive, got {sample_num}')
    if xyz.is_cuda:
        from mmcv.ops import ball_query as mmcv_ball_query
        return mmcv_ball_query(float(min_radius), float(max_radius), sample_num,
                               xyz.float().contiguous(),
                               center_xyz.float().contiguous()).long()
    if xyz.device.type == 'cpu':
        return torch.from_numpy(_ball_query_cpu_kernel(
            center_xyz.detach().float().contiguous().numpy(),
            xyz.detach().float().contiguous().numpy(),
            np.float32(min_radius) ** 2, np.float32(max_radius) ** 2, sample_num))
    return ball_query_reference(center_xyz, xyz, max_radius, sample_num, min_radius)


@numba.njit(parallel=True, cache=True, nogil=True)
def _ball_query_cpu_kernel(centers: np.ndarray, xyz: np.ndarray, min_r2: np.float32,
                           max_r2: np.float32, sample_num: int) -> np.ndarray:
    """Compiled ball query, all centres in parallel.

    Args:
        centers: (B, M, 3) float32 array.
        xyz: (B, N, 3) float32 array.
        min_r2: squared inner radius.
        max_r2: squared outer radius.
        sample_num: S.

    Returns:
        (B, M, S) int64 array.
    """
    batch_size, num_centers, _ = centers.shape
    num_points = xyz.shape[1]
    out = np.zeros((batch_size, num_centers, sample_num), dtype=np.int64)
    for flat in numba.prange(batch_size * num_centers):
        b = flat // num_centers
        m = flat % num_centers
        cx, cy, cz = centers[b, m, 0], centers[b, m, 1], centers[b, m, 2]
        count = 0
        for k in range(num_points):
            dx = cx - xyz[b, k, 0]
            dy = cy - xyz[b, k, 1]
            dz = cz - xyz[b, k, 2]
            d2 = dx * dx + dy * dy + dz * dz
            if d2 == 0 or (d2 >= min_r2 and d2 < max_r2):
                if count == 0:
                    out[b, m, :] = k
                out[b, m, count] = k
                count += 1
                if count >= sample_num:
                    break
    return out


@torch.no_grad()
def ball_query_reference(center_xyz: Tensor, xyz: Tensor, max_radius: float,
                         sample_num: int, min_radius: float = 0.0) -> Tensor:
    """Plain torch :func:`ball_query` for tests and non-CPU, non-CUDA devices.

    Holds the full (B, M, N) distance matrix: small inputs only.

    Args:
        center_xyz: (B, M, 3) ball centres.
        xyz: (B, N, 3) points.
        max_radius: outer radius (exclusive).
        sample_num: S.
        min_radius: inner radius (inclusive).

    Returns:
        (B, M, S) int64 indices.
    """
    diff = center_xyz.float().unsqueeze(2) - xyz.float().unsqueeze(1)  # (B, M, N, 3)
    d2 = diff.square().sum(-1)  # (B, M, N)
    inside = (d2 == 0) | ((d2 >= min_radius ** 2) & (d2 < max_radius ** 2))  # (B, M, N)
    num_points = xyz.shape[1]
    order = torch.arange(num_points, device=xyz.device).expand_as(d2)  # (B, M, N)
    # inside points keep their position, the others sort to the end
    key = torch.where(inside, order, order + num_points)
    picked = key.argsort(dim=-1)[..., :sample_num]  # (B, M, min(S, N))
    count = inside.sum(-1, keepdim=True)  # (B, M, 1)
    if picked.shape[-1] < sample_num:
        picked = torch.cat([picked, picked[..., :1].expand(
            *picked.shape[:2], sample_num - picked.shape[-1])], dim=-1)  # (B, M, S)
    slot = torch.arange(sample_num, device=xyz.device)  # (S,)
    first = picked[..., :1].expand_as(picked)  # (B, M, S)
    out = torch.where(slot < count, picked, first)  # short balls repeat the first
    return torch.where(count > 0, out, torch.zeros_like(out))  # empty balls: 0
