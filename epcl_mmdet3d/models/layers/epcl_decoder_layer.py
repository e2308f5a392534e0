"""One pre-norm transformer decoder layer (3DETR style), batch-first."""
from typing import Optional

from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class EPCLDecoderLayer(BaseModule):
    """Pre-norm decoder layer: self-attention, cross-attention, feed-forward.

    Positional features are added to the queries and keys of both attentions (not to
    the values), as in DETR / 3DETR.

    Args:
        embed_dims: model width d.
        num_heads: attention heads.
        ffn_channels: hidden width of the feed-forward block.
        dropout: dropout on attention weights and on every residual branch.
        init_cfg: mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 4,
                 ffn_channels: int = 256, dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.self_attn = nn.MultiheadAttention(embed_dims, num_heads, dropout=dropout,
                                               batch_first=True)
        self.cross_attn = nn.MultiheadAttention(embed_dims, num_heads, dropout=dropout,
                                                batch_first=True)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, ffn_channels), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(ffn_channels, embed_dims))
        self.norm1 = nn.LayerNorm(embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.norm3 = nn.LayerNorm(embed_dims)
        self.drop1 = nn.Dropout(dropout)
        self.drop2 = nn.Dropout(dropout)
        self.drop3 = nn.Dropout(dropout)

    def forward(self, query: Tensor, memory: Tensor, query_pos: Tensor,
                memory_pos: Tensor) -> Tensor:
        """Run one layer.

        Args:
            query: (B, Q, d) decoder state.
            memory: (B, M, d) encoder features.
            query_pos: (B, Q, d) query positional features.
            memory_pos: (B, M, d) memory positional features.

        Returns:
            (B, Q, d) updated decoder state.
        """
        q = self.norm1(query)
        q_in = q + query_pos  # (B, Q, d)
        query = query + self.drop1(self.self_attn(q_in, q_in, q, need_weights=False)[0])
        q = self.norm2(query)
        query = query + self.drop2(self.cross_attn(
            q + query_pos, memory + memory_pos, memory,
            need_weights=False)[0])
        q = self.norm3(query)
        return query + self.drop3(self.ffn(q))  # (B, Q, d)
