"""The input rules every EPCL model applies to point clouds before any maths: float32
coordinates, one (N, C) cloud per sample, and one way to stack them into a batch."""
from typing import List, Sequence, Union

import torch
from torch import Tensor


def points_as_float32(points: Tensor, name: str = 'points') -> Tensor:
    """Cast a floating point cloud to float32, the dtype every EPCL model computes in.

    float16, bfloat16 and float64 clouds are converted (float64 coordinates keep about
    7 significant digits: centre clouds whose coordinates exceed ~1e6); under ``--amp``
    the layers autocast inside. Integer or boolean points are refused.

    Args:
        points: (..., C) tensor.
        name: how the tensor is called in error messages.
    """
    if not isinstance(points, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor, got {type(points).__name__}')
    if not points.is_floating_point():
        raise TypeError(f'{name} must hold floating point coordinates, got {points.dtype}; '
                        'convert them first (e.g. points.float() / scale if they are '
                        'quantised integers)')
    return points.float()


def points_as_list(points: Union[Tensor, Sequence[Tensor]],
                   name: str = 'points') -> List[Tensor]:
    """One (N_i, C) float32 tensor per sample, from a list of clouds or a (B, N, C) batch.

    Raises:
        ValueError: a single (N, C) cloud (ambiguous: a batch of N clouds of C points?);
            pass ``[cloud]`` or ``cloud[None]``.
    """
    if isinstance(points, Tensor):
        if points.dim() == 2:
            raise ValueError(
                f'{name} is one tensor of shape {tuple(points.shape)}; a model takes a '
                'list with one (N, C) cloud per sample, or a (B, N, C) batch: pass '
                f'[{name}] or {name}[None]')
        if points.dim() != 3:
            raise ValueError(f'{name} must be a list of (N, C) tensors or a (B, N, C) '
                             f'tensor, got a tensor of shape {tuple(points.shape)}')
        points = list(points.unbind(0))  # B x (N, C)
    elif not isinstance(points, (list, tuple)):
        raise TypeError(f'{name} must be a list of (N, C) tensors or a (B, N, C) tensor, '
                        f'got {type(points).__name__}')
    checked = [points_as_float32(p, f'{name}[{i}]') for i, p in enumerate(points)]
    for i, cloud in enumerate(checked):
        if cloud.dim() != 2:
            raise ValueError(f'{name}[{i}] must be an (N, C) cloud, got shape '
                             f'{tuple(cloud.shape)}')
    return checked


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
