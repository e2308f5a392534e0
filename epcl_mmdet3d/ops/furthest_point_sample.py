"""Farthest point sampling (FPS) on CPU and CUDA with one contract."""
import numba
import numpy as np
import torch
from torch import Tensor

from ._mmcv_cuda import mmcv_cuda_op
from ._validation import check_xyz


def furthest_point_sample(xyz: Tensor, num_samples: int) -> Tensor:
    """Pick ``num_samples`` points per cloud that are far from each other.

    Greedy FPS starting from point 0 of each cloud: every next pick is the point
    whose squared distance to the already picked set is largest (the first such
    point on ties). On CUDA this calls mmcv's kernel, on CPU a batched loop whose
    memory is O(B * N).

    Args:
        xyz: (B, N, 3) point coordinates.
        num_samples: M, the number of points to pick; 1 <= M <= N.

    Returns:
        (B, M) int64 indices into N.
    """
    check_xyz(xyz)
    num_points = xyz.shape[1]
    if not 1 <= num_samples <= num_points:
        raise ValueError(
            f'furthest_point_sample got {num_points} points but was asked for '
            f'{num_samples} samples; it needs 1 <= num_samples <= num_points. '
            'Lower the number of samples or feed more points per cloud')
    if xyz.is_cuda:
        mmcv_fps = mmcv_cuda_op('furthest_point_sample', 'furthest_point_sample')
        return mmcv_fps(xyz.float().contiguous(), num_samples).long()
    if xyz.device.type == 'cpu':
        points = xyz.detach().float().contiguous().numpy()
        return torch.from_numpy(_fps_cpu_kernel(points, num_samples))
    return furthest_point_sample_reference(xyz, num_samples)


@numba.njit(parallel=True, cache=True, nogil=True)
def _fps_cpu_kernel(xyz: np.ndarray, num_samples: int) -> np.ndarray:
    """Compiled FPS, clouds in parallel; the same arithmetic (float32) and tie rule
    (first maximum) as :func:`furthest_point_sample_reference`.

    Args:
        xyz: (B, N, 3) float32 array.
        num_samples: M.

    Returns:
        (B, M) int64 array.
    """
    batch_size, num_points, _ = xyz.shape
    picked = np.zeros((batch_size, num_samples), dtype=np.int64)
    for b in numba.prange(batch_size):
        min_dist2 = np.full(num_points, np.inf, dtype=np.float32)
        current = 0
        for i in range(num_samples):
            picked[b, i] = current
            cx, cy, cz = xyz[b, current, 0], xyz[b, current, 1], xyz[b, current, 2]
            best, best_d = 0, np.float32(-1.0)
            for j in range(num_points):
                dx = xyz[b, j, 0] - cx
                dy = xyz[b, j, 1] - cy
                dz = xyz[b, j, 2] - cz
                d = dx * dx + dy * dy + dz * dz
                if d < min_dist2[j]:
                    min_dist2[j] = d
                if min_dist2[j] > best_d:
                    best, best_d = j, min_dist2[j]
            current = best
    return picked


@torch.no_grad()
def furthest_point_sample_reference(xyz: Tensor, num_samples: int) -> Tensor:
    """Batched FPS in plain torch, any device.

    Args:
        xyz: (B, N, 3) point coordinates.
        num_samples: M, number of points to pick.

    Returns:
        (B, M) int64 indices.
    """
    batch_size, num_points, _ = xyz.shape
    xyz = xyz.float()
    batch_idx = torch.arange(batch_size, device=xyz.device)
    picked = torch.zeros(batch_size, num_samples, dtype=torch.long, device=xyz.device)
    # squared distance of every point to the picked set so far, (B, N)
    min_dist2 = torch.full((batch_size, num_points), float('inf'), device=xyz.device)
    current = torch.zeros(batch_size, dtype=torch.long, device=xyz.device)
    for i in range(num_samples):
        picked[:, i] = current
        last = xyz[batch_idx, current].unsqueeze(1)  # (B, 1, 3)
        dist2 = (xyz - last).square().sum(-1)  # (B, N)
        torch.minimum(min_dist2, dist2, out=min_dist2)
        current = min_dist2.argmax(dim=1)  # (B,)
    return picked
