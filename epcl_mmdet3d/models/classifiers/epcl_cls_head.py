"""Classification head on [CLS ; max-pool of patch outputs]."""
from typing import Optional, Sequence

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class EPCLClsHead(BaseModule):
    """LayerNorm, pool, three-layer MLP.

    The CLIP outputs are the transformer's raw residual stream (CLIP's own
    ``ln_post`` is frozen and belongs to the projection), so a trainable
    LayerNorm normalises every token first; the feature is the normalised CLS
    output concatenated with the max over the M patch outputs (task-token
    outputs are already dropped by the encoder). The MLP follows the paper:
    dropout on its first two layers (0.2 in the paper's appendix).

    Args:
        in_channels: D, the CLIP width.
        num_classes: C.
        hidden_channels: widths of the two hidden layers.
        dropout: dropout after each hidden layer.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 hidden_channels: Sequence[int] = (256, 256),
                 dropout: float = 0.2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.norm = nn.LayerNorm(in_channels)
        layers, width = [], 2 * in_channels
        for hidden in hidden_channels:
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden),
                       nn.ReLU(inplace=True), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.mlp = nn.Sequential(*layers)
        self.out_channels = 2 * in_channels

    def pool(self, cls_feat: torch.Tensor, patch_feats: torch.Tensor) -> torch.Tensor:
        """Global feature.

        Args:
            cls_feat: (B, D) CLS output.
            patch_feats: (B, M, D) patch outputs.

        Returns:
            torch.Tensor: (B, 2D), [norm(CLS) ; max_m norm(patch_m)].
        """
        pooled = self.norm(patch_feats).max(dim=1).values  # (B, D)
        return torch.cat([self.norm(cls_feat), pooled], dim=-1)  # (B, 2D)

    def forward(self, global_feat: torch.Tensor) -> torch.Tensor:
        """(B, 2D) global feature -> (B, C) logits."""
        return self.mlp(global_feat)
