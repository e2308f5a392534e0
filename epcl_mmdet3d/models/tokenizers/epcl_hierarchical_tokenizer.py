"""A three-level point tokenizer for dense prediction (segmentation)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import EPCLPointGrouper
from .epcl_tokenizer import EPCLTokenizer, build_group_encoder, group_encoder_cfg


@MODELS.register_module()
class EPCLHierarchicalTokenizer(BaseModule):
    """Down-sample points level by level, the last level becoming CLIP tokens.

    Level 0 is the input (B, N, 3 + C0). Each of the first levels picks
    ``num_points[l]`` centres by FPS among the previous level's points, groups
    ``num_neighbors[l]`` neighbours around each (xyz relative to the centre plus
    the previous level's features) and encodes every group with the group encoder
    (``encoder``; the paper's :class:`EPCLMiniPointNet` by default, PointNet++ set
    abstraction in spirit). The last level
    is an :class:`EPCLTokenizer` run on the previous level's points and
    features: its groups become the ``M = num_points[-1]`` tokens of width D
    with their positional embeddings. Every level's coordinates and features are
    returned as well, for the skip connections of a feature-propagation head.

    With the defaults, a 4096-point block becomes 2048 -> 1024 -> 512 points.

    Args:
        num_points: centres per level, strictly decreasing; the last entry is
            the number of tokens M.
        num_neighbors: neighbours per group at each level.
        in_channels: channels of an input point, xyz included (3 + C0).
        level_channels: feature width of every level but the last (whose width
            is ``embed_dims``).
        level_hidden: the group encoder's ``hidden_channels`` at those levels (for the
            mini-PointNet: its first MLP's widths).
        embed_dims: D, the token width; injected from CLIP by ``EPCLEncoder``.
        token_hidden: the group encoder's ``hidden_channels`` at the token level.
        pos_hidden: hidden width of the token level's positional MLP.
        norm_cfg: deprecated, write ``encoder=dict(..., norm_cfg=...)``.
        encoder: the group encoder of every level, ``dict(type=..., **kwargs)`` without
            ``in_channels`` / ``out_channels`` / ``hidden_channels`` (set per level):
            ``dict(type='EPCLMiniPointNet')`` (default) or
            ``dict(type='EPCLSetAbstractionMLP')``, e.g. with a ``norm_cfg``
            (default BN1d). The strings ``'mini_pointnet'`` / ``'set_abstraction'``
            are deprecated.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 num_points: Sequence[int] = (2048, 1024, 512),
                 num_neighbors: Sequence[int] = (32, 32, 32),
                 in_channels: int = 9,
                 level_channels: Sequence[int] = (128, 256),
                 level_hidden: Sequence[Sequence[int]] = ((64, 64), (128, 128)),
                 embed_dims: int = 768,
                 token_hidden: Sequence[int] = (128, 256),
                 pos_hidden: int = 128,
                 norm_cfg: Optional[dict] = None,
                 encoder: Union[dict, str] = dict(type='EPCLMiniPointNet'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_points, num_neighbors = list(num_points), list(num_neighbors)
        if len(num_points) < 2 or len(num_neighbors) != len(num_points):
            raise ValueError(
                f'num_points ({num_points}) and num_neighbors ({num_neighbors}) need '
                'the same length, at least 2 (one or more grouping levels plus the '
                'token level)')
        if any(b >= a for a, b in zip(num_points, num_points[1:])):
            raise ValueError(f'num_points must be strictly decreasing, got {num_points}')
        if len(level_channels) != len(num_points) - 1 or \
                len(level_hidden) != len(num_points) - 1:
            raise ValueError(
                f'level_channels ({list(level_channels)}) and level_hidden '
                f'({list(level_hidden)}) need one entry per level before the token '
                f'level, i.e. {len(num_points) - 1}')
        if in_channels < 3:
            raise ValueError(f'in_channels must count xyz, so be >= 3, got {in_channels}')
        self.num_points = num_points
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        owner = type(self).__name__
        encoder = group_encoder_cfg(encoder, owner, norm_cfg=norm_cfg)
        self.groupers = nn.ModuleList()
        self.encoders = nn.ModuleList()
        prev = in_channels  # channels of a grouped point: 3 relative xyz + features
        for m, k, c, hidden in zip(num_points[:-1], num_neighbors[:-1],
                                   level_channels, level_hidden):
            self.groupers.append(EPCLPointGrouper(m, k))
            self.encoders.append(build_group_encoder(encoder, prev, c, owner,
                                                     hidden_channels=tuple(hidden)))
            prev = 3 + c
        self.token_level = EPCLTokenizer(
            num_tokens=num_points[-1], num_neighbors=num_neighbors[-1],
            in_channels=prev, embed_dims=embed_dims, pos_hidden=pos_hidden,
            encoder=dict(encoder, hidden_channels=tuple(token_hidden)))
        # channels of each level's skip features: the raw points, then each level
        self.skip_channels = [in_channels, *level_channels, embed_dims]

    def forward(self, points: Tensor) -> Dict[str, object]:
        """Tokenize hierarchically.

        Args:
            points: (B, N, 3 + C0), xyz first; N >= ``num_points[0]``.

        Returns:
            dict with the token level's ``centers`` (B, M, 3), ``center_idx``
            (B, M) and ``group_idx`` (B, M, K) (indices into the previous level's
            points), ``tokens`` (B, M, D), ``pos_embed`` (B, M, D); and
            ``level_xyz`` / ``level_feats``: lists over levels 0..L of (B, N_l, 3)
            coordinates and (B, N_l, S_l) skip features, level 0 being the input
            points themselves (xyz and features, S_0 = 3 + C0) and level L the
            tokens (S_L = D); ``level_indices``: (B, N_l) int64 indices of every
            level's points in the input cloud (level 0: ``arange(N)``).
        """
        if points.dim() != 3 or points.shape[-1] != self.in_channels:
            raise ValueError(
                f'EPCLHierarchicalTokenizer expects points of shape (B, N, '
                f'{self.in_channels}), got {tuple(points.shape)}; set in_channels '
                'to the channels the pipeline produces (9 for S3DIS with colour and '
                'normalised coordinates)')
        if points.shape[1] < self.num_points[0]:
            raise ValueError(
                f'got {points.shape[1]} points per sample, but the first level samples '
                f'{self.num_points[0]} centres; feed blocks of at least that many '
                'points (IndoorPatchPointSample / slide inference pad small rooms by '
                'repeating points) or lower num_points')
        xyz = points[..., :3].contiguous()  # (B, N, 3)
        feats = points[..., 3:] if self.in_channels > 3 else None  # (B, N, C0)
        level_xyz: List[Tensor] = [xyz]
        level_feats: List[Tensor] = [points]
        level_idx: List[Tensor] = [torch.arange(points.shape[1], device=points.device)
                                   .expand(points.shape[0], -1)]  # (B, N)
        for grouper, encoder in zip(self.groupers, self.encoders):
            groups = grouper(xyz, feats)
            level_idx.append(level_idx[-1].gather(1, groups['center_idx']))  # (B, N_l)
            feats = encoder(groups['groups'])  # (B, N_l, C_l)
            xyz = groups['centers']  # (B, N_l, 3)
            level_xyz.append(xyz)
            level_feats.append(feats)
        out = self.token_level(torch.cat([xyz, feats], dim=-1))  # (B, N_{L-1}, 3 + C)
        level_xyz.append(out['centers'])
        level_feats.append(out['tokens'])
        level_idx.append(level_idx[-1].gather(1, out['center_idx']))  # (B, M)
        out = dict(out)
        out['level_indices'] = level_idx
        out['level_xyz'] = level_xyz
        out['level_feats'] = level_feats
        return out
