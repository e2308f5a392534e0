"""Input checks shared by the sampling ops."""
import torch
from torch import Tensor


def check_xyz(xyz: Tensor, name: str = 'xyz') -> None:
    """Check that ``xyz`` is a float tensor of shape (B, N, 3) with finite values.

    Args:
        xyz: (B, N, 3) coordinates.
        name: how the tensor is called in error messages.
    """
    if not isinstance(xyz, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor, got {type(xyz).__name__}')
    if xyz.dim() != 3 or xyz.shape[-1] != 3:
        raise ValueError(
            f'{name} must have shape (B, N, 3), got {tuple(xyz.shape)}; put the '
            'coordinates first and pass extra channels separately')
    if not xyz.is_floating_point():
        raise TypeError(f'{name} must be a floating point tensor, got {xyz.dtype}')
    if not bool(torch.isfinite(xyz).all()):
        bad = (~torch.isfinite(xyz)).any(-1).nonzero()
        b, n = bad[0].tolist()
        raise ValueError(
            f'{name} holds {len(bad)} point(s) with NaN or Inf coordinates (first: '
            f'sample {b}, point {n}); clean the point cloud (drop or clamp those points) '
            'before sampling')
