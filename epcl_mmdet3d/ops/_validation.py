"""Input checks shared by the sampling ops."""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

# Squared float32 distances overflow (to inf: duplicate neighbours, NaN weights) once two
# points lie ~1.8e19 apart (3 * d**2 > 3.4e38); 1e18 keeps a margin. Measured: kNN on
# uniform clouds agrees with a float64 kNN up to a side of 1e19 and fails from 1e20.
MAX_ABS_COORDINATE = 1e18


def check_xyz(xyz: Tensor, name: str = 'xyz',
              sources: Optional[Sequence[str]] = None) -> None:
    """Check that ``xyz`` is a float tensor of shape (B, N, 3) with finite values within
    :data:`MAX_ABS_COORDINATE`.

    Args:
        xyz: (B, N, 3) coordinates.
        name: how the tensor is called in error messages.
        sources: what each of the B samples is (e.g. the file it was read from); errors
            then name the sample's source instead of ``name`` and the sample index.
    """
    if not isinstance(xyz, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor, got {type(xyz).__name__}')
    if xyz.dim() != 3 or xyz.shape[-1] != 3:
        raise ValueError(
            f'{name} must have shape (B, N, 3), got {tuple(xyz.shape)}; put the '
            'coordinates first and pass extra channels separately')
    if not xyz.is_floating_point():
        raise TypeError(f'{name} must be a floating point tensor, got {xyz.dtype}')

    def where(b: int, n: int) -> Tuple[str, str]:
        if sources is None:
            return name, f'sample {b}, point {n}'
        return str(sources[b]), f'point {n}'

    if not bool(torch.isfinite(xyz).all()):
        bad = (~torch.isfinite(xyz)).any(-1).nonzero()
        b, n = bad[0].tolist()
        count = len(bad) if sources is None else int((bad[:, 0] == b).sum())
        subject, place = where(b, n)
        raise ValueError(
            f'{subject} holds {count} point(s) with NaN or Inf coordinates (first: '
            f'{place}); clean the point cloud (drop or clamp those points) before sampling')
    if xyz.numel():
        largest = xyz.detach().abs().amax()
        if largest > MAX_ABS_COORDINATE:
            b, n = divmod(int(xyz.detach().abs().amax(-1).flatten().argmax()), xyz.shape[1])
            subject, place = where(b, n)
            raise ValueError(
                f'{subject} has a coordinate of magnitude {float(largest):.3g} ({place}); '
                f'squared distances overflow float32 beyond {MAX_ABS_COORDINATE:.0e}. '
                'Drop outlier points, rescale the cloud (e.g. to metres) or subtract its '
                'centre')
