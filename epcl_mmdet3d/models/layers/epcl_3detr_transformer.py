"""3DETR's transformer decoder, in one place: Fourier positions of 3D coordinates, the
pre-norm decoder layer and the stack of layers with its shared final LayerNorm.

Everything is batch-first: queries (B, Q, d), memory (B, M, d).
"""
import math
from typing import Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


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


@MODELS.register_module()
class EPCLTransformerDecoder(BaseModule):
    """3DETR's decoder: ``num_layers`` pre-norm layers; the one final LayerNorm is
    applied to every layer's output, so that every layer can be supervised.

    Initialised as 3DETR's ``TransformerDecoder`` is (``_reset_parameters`` with
    ``xavier_uniform``): every parameter of two or more dimensions (attention in/out
    projections, feed-forward weights) is drawn by ``xavier_uniform_``; biases and norms
    keep PyTorch's defaults. An ``init_cfg`` given to this module still applies after.

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
        for param in self.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)

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
