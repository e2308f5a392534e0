"""One way to turn a batch of per-sample point clouds into a (B, N, C) tensor."""
from typing import Sequence, Union

import torch
from torch import Tensor

from .point_inputs import points_as_list


def stack_points(points: Union[Tensor, Sequence[Tensor]], sampler_hint: str) -> Tensor:
    """Stack B clouds of equal size, or check an already stacked batch.

    The input rules of :func:`points_as_list` apply: float16 / bfloat16 / float64 clouds
    become float32, integer ones and a lone (N, C) tensor are refused with what to do.

    Args:
        points: a (B, N, C) tensor, or B tensors of shape (N, C).
        sampler_hint: the pipeline transform that makes every cloud the same size
            (named in the error when sizes differ), e.g. ``'PointSample(num_points=...)'``.

    Returns:
        (B, N, C) float32 tensor.
    """
    if isinstance(points, (list, tuple)) and not points:
        raise ValueError('the batch holds no point cloud')
    points = points_as_list(points)
    sizes = {tuple(p.shape) for p in points}
    if len(sizes) != 1:
        raise ValueError(f'point clouds of different shapes in one batch: '
                         f'{sorted(sizes)}; add {sampler_hint} to the pipeline so that '
                         'every sample has the same number of points')
    points = torch.stack(points)  # (B, N, C)
    if points.shape[1] == 0:
        raise ValueError('a point cloud has no points; check its point file (and any crop '
                         'in the pipeline)')
    return points
