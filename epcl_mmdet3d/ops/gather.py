"""Gather points or features by per-sample indices."""
from torch import Tensor


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
