"""The EPCL point tokenizer: FPS + kNN groups -> mini-PointNet tokens + positions."""
from typing import Dict, Sequence

from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import MiniPointNet, PointGrouper, SetAbstractionMLP


@MODELS.register_module()
class EPCLTokenizer(BaseModule):
    """Cut a point cloud into M tokens of width D that a CLIP transformer can read.

    FPS picks ``num_tokens`` centres, kNN groups ``num_neighbors`` points around each
    (xyz relative to the centre, plus any extra channels), a mini-PointNet turns each
    group into one token, and an MLP embeds each centre's xyz as its position.

    Args:
        num_tokens: M, number of centres / tokens.
        num_neighbors: K, points per group.
        in_channels: channels per input point, xyz included (3, or 6 with colour).
        embed_dims: D, the token width; injected from the CLIP model by EPCLEncoder.
        hidden_channels: widths inside the mini-PointNet's first MLP.
        encoder: the group encoder: ``'mini_pointnet'`` (the paper's, default) or
            ``'set_abstraction'``, a lighter one with 3DETR's pre-encoder widths
            (:class:`SetAbstractionMLP`, about 14x fewer multiply-adds per point).
        sa_channels: per-point MLP widths of the ``'set_abstraction'`` encoder.
        pos_hidden: hidden width of the positional MLP.
        norm_cfg: norm layer of the mini-PointNet.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 num_tokens: int = 64,
                 num_neighbors: int = 32,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 hidden_channels: Sequence[int] = (128, 256),
                 pos_hidden: int = 128,
                 norm_cfg: dict = dict(type='BN1d'),
                 encoder: str = 'mini_pointnet',
                 sa_channels: Sequence[int] = (64, 128, 256),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 3:
            raise ValueError(f'in_channels must count xyz, so be >= 3, got {in_channels}')
        self.num_tokens = num_tokens
        self.num_neighbors = num_neighbors
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.grouper = PointGrouper(num_tokens, num_neighbors)
        if encoder == 'mini_pointnet':
            self.encoder = MiniPointNet(in_channels, embed_dims, hidden_channels, norm_cfg)
        elif encoder == 'set_abstraction':
            self.encoder = SetAbstractionMLP(in_channels, embed_dims, sa_channels, norm_cfg)
        else:
            raise ValueError(f"encoder must be 'mini_pointnet' or 'set_abstraction', "
                             f'got {encoder!r}')
        self.pos_embed = nn.Sequential(
            nn.Linear(3, pos_hidden), nn.GELU(), nn.Linear(pos_hidden, embed_dims))

    def forward(self, points: Tensor) -> Dict[str, Tensor]:
        """Tokenize.

        Args:
            points: (B, N, C) with C == ``in_channels``, xyz first.

        Returns:
            dict with ``centers`` (B, M, 3), ``center_idx`` (B, M), ``group_idx``
            (B, M, K), ``tokens`` (B, M, D) and ``pos_embed`` (B, M, D).
        """
        if points.dim() != 3 or points.shape[-1] != self.in_channels:
            raise ValueError(
                f'EPCLTokenizer expects points of shape (B, N, {self.in_channels}) '
                f'(in_channels={self.in_channels}), got {tuple(points.shape)}; set '
                'in_channels to the number of point channels the pipeline loads '
                '(e.g. use_dim in LoadPointsFromFile)')
        xyz = points[..., :3].contiguous()  # (B, N, 3)
        feats = points[..., 3:] if self.in_channels > 3 else None  # (B, N, C - 3)
        groups = self.grouper(xyz, feats)
        tokens = self.encoder(groups['groups'])  # (B, M, D)
        pos = self.pos_embed(groups['centers'])  # (B, M, D)
        return dict(centers=groups['centers'], center_idx=groups['center_idx'],
                    group_idx=groups['group_idx'], tokens=tokens, pos_embed=pos)
