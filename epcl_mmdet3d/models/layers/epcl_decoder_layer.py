"""One pre-norm transformer decoder layer (3DETR style), batch-first."""
from typing import Optional

from torch import Tensor, nn

from mmdet3d.registry import MODELS


@MODELS.register_module()
class EPCLDecoderLayer(nn.Module):
    """Pre-norm decoder layer: self-attention, cross-attention, feed-forward.

    Positional features are added to the queries and keys of both attentions (not to
    the values), as in DETR / 3DETR.

    Args:
        embed_dims: model width d.
        num_heads: attention heads.
        ffn_channels: hidden width of the feed-forward block.
        dropout: dropout on attention weights and on every residual branch.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 4,
                 ffn_channels: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
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
                memory_pos: Tensor, memory_mask: Optional[Tensor] = None) -> Tensor:
        """Run one layer.

        Args:
            query: (B, Q, d) decoder state.
            memory: (B, M, d) encoder features.
            query_pos: (B, Q, d) query positional features.
            memory_pos: (B, M, d) memory positional features.
            memory_mask: optional (B, M) bool, True where a memory token is padding.

        Returns:
            (B, Q, d) updated decoder state.
        """
        q = self.norm1(query)
        q_in = q + query_pos  # (B, Q, d)
        query = query + self.drop1(self.self_attn(q_in, q_in, q, need_weights=False)[0])
        q = self.norm2(query)
        query = query + self.drop2(self.cross_attn(
            q + query_pos, memory + memory_pos, memory,
            key_padding_mask=memory_mask, need_weights=False)[0])
        q = self.norm3(query)
        return query + self.drop3(self.ffn(q))  # (B, Q, d)
