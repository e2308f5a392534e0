"""A mini-PointNet that turns each point group into one feature vector."""
from typing import Sequence

import torch
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn


class _PointMLP(nn.Module):
    """Linear -> norm -> ReLU -> Linear over the last dimension of (..., C)."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_channels, hidden)
        self.norm = build_norm_layer(norm_cfg, hidden)[1]
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Linear(hidden, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        x = self.fc1(x.reshape(-1, shape[-1]))  # (L, hidden), L = prod(shape[:-1])
        x = self.act(self.norm(x))
        return self.fc2(x).reshape(*shape[:-1], -1)  # (..., out)


class MiniPointNet(nn.Module):
    """Shared MLP, max-pool, concat the pooled feature to each point, MLP, max-pool.

    Args:
        in_channels: C_in, channels of each grouped point (3 relative xyz + extras).
        out_channels: C_out, channels of the group feature (the token width).
        hidden_channels: widths of the first MLP (hidden, out) and of the second
            MLP's hidden layer is ``2 * hidden_channels[1]``.
        norm_cfg: mmcv norm layer config applied inside both MLPs (``BN1d`` or
            ``LN``). BatchNorm shares statistics across the batch in train mode.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 hidden_channels: Sequence[int] = (128, 256),
                 norm_cfg: dict = dict(type='BN1d')) -> None:
        super().__init__()
        first_hidden, first_out = hidden_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.first = _PointMLP(in_channels, first_hidden, first_out, norm_cfg)
        self.second = _PointMLP(2 * first_out, 2 * first_out, out_channels, norm_cfg)

    def forward(self, groups: Tensor) -> Tensor:
        """Encode groups.

        Args:
            groups: (B, M, K, C_in) grouped points.

        Returns:
            (B, M, C_out) one feature per group.
        """
        if groups.shape[-1] != self.in_channels:
            raise ValueError(f'MiniPointNet expects {self.in_channels} channels per '
                             f'point, got {groups.shape[-1]}')
        x = self.first(groups)  # (B, M, K, C1)
        pooled = x.max(dim=2, keepdim=True).values  # (B, M, 1, C1)
        x = torch.cat([pooled.expand_as(x), x], dim=-1)  # (B, M, K, 2*C1)
        x = self.second(x)  # (B, M, K, C_out)
        return x.max(dim=2).values  # (B, M, C_out)
