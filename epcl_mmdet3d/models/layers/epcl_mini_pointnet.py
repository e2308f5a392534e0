"""A mini-PointNet that turns each point group into one feature vector."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from .linear_max import NormReLU, linear_max


def _autocast_enabled(device_type: str) -> bool:
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4: no device argument
        if device_type == 'cpu':
            return torch.is_autocast_cpu_enabled()
        return torch.is_autocast_enabled()


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
        return self.tail(x).reshape(*shape[:-1], -1)  # (..., out)

    def tail(self, x: Tensor) -> Tensor:
        """Everything after ``fc1``: (L, hidden) -> (L, out)."""
        return self.fc2(self.act(self.norm(x)))

    def tail_max(self, x: Tensor, fused: bool, recompute_norm: bool) -> Tensor:
        """Everything after ``fc1``, then the max over each group: (G, K, hidden) -> (G, out).

        ``fused``: ``fc2`` and the max in one autograd Function (:func:`linear_max`);
        ``recompute_norm``: with ``fused``, norm -> ReLU recomputed in backward from
        ``x`` instead of keeping its output (BatchNorm1d and LayerNorm only). Otherwise
        the plain layers: the reference.
        """
        num_groups, group_size, hidden = x.shape
        if not fused:
            x = self.tail(x.reshape(-1, hidden))  # (G * K, out)
            return x.reshape(num_groups, group_size, -1).max(dim=1).values
        if recompute_norm and NormReLU.supports(self.norm):
            return linear_max(x, self.fc2.weight, self.fc2.bias, NormReLU(self.norm))
        x = self.act(self.norm(x.reshape(-1, hidden))).reshape(num_groups, group_size, hidden)
        return linear_max(x, self.fc2.weight, self.fc2.bias)


@MODELS.register_module()
class EPCLMiniPointNet(BaseModule):
    """Shared MLP, max-pool, concat the pooled feature to each point, MLP, max-pool.

    The paper's group encoder (the default of ``EPCLTokenizer``); a tokenizer selects
    it with ``encoder=dict(type='EPCLMiniPointNet', ...)`` and fills in
    ``in_channels`` and ``out_channels``.

    Args:
        in_channels: C_in, channels of each grouped point (3 relative xyz + extras).
        out_channels: C_out, channels of the group feature (the token width).
        hidden_channels: widths of the first MLP (hidden, out) and of the second
            MLP's hidden layer is ``2 * hidden_channels[1]``.
        norm_cfg: mmcv norm layer config applied inside both MLPs (``BN1d`` or
            ``LN``). BatchNorm shares statistics across the batch in train mode.
        fused_max: run the second MLP's last layer and the max over K as one autograd
            Function (:func:`~.linear_max.linear_max`): the same maths without the
            (B, M, K, C_out) output and its dense gradient, and a backward that only
            touches each channel's winning row. False runs the plain layers (the
            reference). Under autocast the plain layers run either way.
        recompute_norm: with ``fused_max``, keep only the input of the second MLP's
            norm -> ReLU and recompute them in backward (``BN1d`` / ``LN``; other norms
            keep their output as usual): the same maths, one (B, M, K, 2 * C1)
            tensor less kept for backward.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 hidden_channels: Sequence[int] = (128, 256),
                 norm_cfg: dict = dict(type='BN1d'),
                 fused_max: bool = True,
                 recompute_norm: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(hidden_channels) != 2:
            raise ValueError(f'EPCLMiniPointNet takes two hidden_channels (the first MLP\'s '
                             f'hidden and output widths), got {tuple(hidden_channels)}')
        first_hidden, first_out = hidden_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.fused_max = fused_max
        self.recompute_norm = recompute_norm
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
            raise ValueError(f'EPCLMiniPointNet expects {self.in_channels} channels per '
                             f'point, got {groups.shape[-1]}')
        x = self.first(groups)  # (B, M, K, C1)
        batch_size, num_groups, group_size, first_out = x.shape
        pooled = x.max(dim=2, keepdim=True).values  # (B, M, 1, C1)
        # The second MLP's first layer reads [pooled ; x] (2 * C1 channels per point).
        # Its weight splits as W = [W_p | W_x], so W [p ; x] = W_x x + W_p p: the pooled
        # half is one row per group, computed M times instead of M * K times, and the
        # (B, M, K, 2 * C1) concatenation is never built. Same parameters and maths as
        # the concatenation (rounding aside); at detection scale (K = 64) this removes
        # a fifth of the tokenizer's multiply-adds.
        fc1 = self.second.fc1
        h = F.linear(x, fc1.weight[:, first_out:])  # (B, M, K, H)
        h += F.linear(pooled, fc1.weight[:, :first_out], fc1.bias)  # + (B, M, 1, H)
        fused = self.fused_max and not _autocast_enabled(h.device.type)
        h = self.second.tail_max(h.reshape(batch_size * num_groups, group_size, -1), fused,
                                 self.recompute_norm)  # (B * M, C_out)
        return h.reshape(batch_size, num_groups, -1)  # (B, M, C_out)
