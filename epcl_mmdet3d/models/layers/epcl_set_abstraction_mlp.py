"""A light group encoder: 3DETR's pre-encoder MLP (64-128-256), max-pool, projection."""
from typing import Optional, Sequence

from mmcv.cnn import build_norm_layer
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class EPCLSetAbstractionMLP(BaseModule):
    """Shared per-point MLP, max-pool over the group, linear projection to the token width.

    The per-point part follows 3DETR's pre-encoder (a PointNet++ set-abstraction
    module with MLP widths 64-128-256, each a 1x1 conv + BatchNorm + ReLU, then a
    max-pool over the 64 grouped points). Differences, on purpose: groups come from
    kNN (as every EPCL tokenizer groups) rather than a 0.2 m ball query, so xyz are
    not divided by a radius; and a final linear layer maps the pooled 256 channels
    to the CLIP width. Per point it costs about 41k multiply-adds against the
    mini-PointNet's 0.56M at the default widths (128-256 / 512-768). A tokenizer
    selects it with ``encoder=dict(type='EPCLSetAbstractionMLP', ...)`` and fills in
    ``in_channels`` and ``out_channels``.

    Args:
        in_channels: C_in, channels of each grouped point (3 relative xyz + extras).
        out_channels: C_out, the token width.
        hidden_channels: widths of the shared per-point MLP.
        norm_cfg: mmcv norm layer config after every per-point linear layer.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 hidden_channels: Sequence[int] = (64, 128, 256),
                 norm_cfg: dict = dict(type='BN1d'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not hidden_channels:
            raise ValueError('hidden_channels needs at least one width, e.g. (64, 128, 256)')
        self.in_channels = in_channels
        self.out_channels = out_channels
        layers, width = [], in_channels
        for hidden in hidden_channels:
            layers += [nn.Linear(width, hidden), build_norm_layer(norm_cfg, hidden)[1],
                       nn.ReLU(inplace=True)]
            width = hidden
        self.mlp = nn.Sequential(*layers)
        self.proj = nn.Linear(width, out_channels)

    def forward(self, groups: Tensor) -> Tensor:
        """Encode groups.

        Args:
            groups: (B, M, K, C_in) grouped points.

        Returns:
            (B, M, C_out) one feature per group.
        """
        if groups.shape[-1] != self.in_channels:
            raise ValueError(f'EPCLSetAbstractionMLP expects {self.in_channels} channels per '
                             f'point, got {groups.shape[-1]}')
        batch_size, num_groups, group_size, channels = groups.shape
        x = self.mlp(groups.reshape(-1, channels))  # (B*M*K, C_mlp)
        x = x.reshape(batch_size, num_groups, group_size, -1)  # (B, M, K, C_mlp)
        return self.proj(x.max(dim=2).values)  # (B, M, C_out)
