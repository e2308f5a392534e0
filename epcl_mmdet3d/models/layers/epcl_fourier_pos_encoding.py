"""Fourier positional features of 3D coordinates normalised by the scene bounds."""
import math
from typing import Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class EPCLFourierPosEncoding(BaseModule):
    """Random Fourier features of xyz, as 3DETR's decoder uses them.

    Coordinates are first mapped to [0, 1] with the scene's bounds, then projected
    with a fixed Gaussian matrix ``G`` (3, out_channels / 2) and encoded as
    ``[sin(2 pi x G), cos(2 pi x G)]``. ``G`` is a buffer (saved in the state dict,
    never trained), drawn once at construction.

    Args:
        out_channels: feature width, even.
        gauss_scale: standard deviation of ``G`` (3DETR: 1.0).
        in_channels: coordinate dimensions (3).
        init_cfg: mmengine init config.
    """

    def __init__(self, out_channels: int = 256, gauss_scale: float = 1.0,
                 in_channels: int = 3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if out_channels % 2:
            raise ValueError(f'out_channels must be even (sin and cos halves), got {out_channels}')
        self.out_channels = out_channels
        self.register_buffer('gauss_b', torch.randn(in_channels, out_channels // 2) * gauss_scale)

    def forward(self, xyz: Tensor, scene_min: Tensor, scene_max: Tensor) -> Tensor:
        """Encode coordinates.

        Args:
            xyz: (B, N, 3) coordinates.
            scene_min: (B, 3) lower scene bound.
            scene_max: (B, 3) upper scene bound.

        Returns:
            (B, N, out_channels) features in [-1, 1].
        """
        if xyz.dim() != 3 or xyz.shape[-1] != self.gauss_b.shape[0]:
            raise ValueError(f'xyz must be (B, N, {self.gauss_b.shape[0]}), got {tuple(xyz.shape)}')
        extent = (scene_max - scene_min).clamp(min=1e-6)  # (B, 3)
        xyz_norm = (xyz - scene_min[:, None]) / extent[:, None]  # (B, N, 3) in [0, 1]
        proj = 2 * math.pi * xyz_norm @ self.gauss_b.to(xyz.dtype)  # (B, N, out / 2)
        return torch.cat([proj.sin(), proj.cos()], dim=-1)  # (B, N, out)
