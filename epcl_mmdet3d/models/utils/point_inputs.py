"""The input rules every EPCL model applies to point clouds before any maths."""
from typing import List, Sequence, Union

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
