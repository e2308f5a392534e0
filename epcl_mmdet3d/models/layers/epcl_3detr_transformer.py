"""A stack of pre-norm decoder layers with a shared final LayerNorm."""
from typing import Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from .epcl_decoder_layer import EPCLDecoderLayer


@MODELS.register_module()
class EPCLTransformerDecoder(BaseModule):
    """3DETR's decoder: ``num_layers`` pre-norm layers; the one final LayerNorm is
    applied to every layer's output, so that every layer can be supervised.

    Args:
        num_layers: decoder layers (3DETR: 8).
        embed_dims: width d (3DETR: 256).
        num_heads: attention heads (3DETR: 4).
        ffn_channels: feed-forward width (3DETR: 256).
        dropout: dropout (3DETR: 0.1).
        init_cfg: mmengine init config.
    """

    def __init__(self, num_layers: int = 8, embed_dims: int = 256, num_heads: int = 4,
                 ffn_channels: int = 256, dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.layers = nn.ModuleList(
            EPCLDecoderLayer(embed_dims, num_heads, ffn_channels, dropout)
            for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(embed_dims)

    def forward(self, query: Tensor, memory: Tensor, query_pos: Tensor,
                memory_pos: Tensor) -> Tensor:
        """Decode.

        Args:
            query: (B, Q, d) initial decoder state (3DETR: zeros).
            memory: (B, M, d) encoder features.
            query_pos: (B, Q, d) query positional features.
            memory_pos: (B, M, d) memory positional features.

        Returns:
            (L, B, Q, d): the normalised output of each of the L layers.
        """
        outputs = []
        for layer in self.layers:
            query = layer(query, memory, query_pos, memory_pos)
            outputs.append(self.final_norm(query))
        return torch.stack(outputs, dim=0)  # (L, B, Q, d)
