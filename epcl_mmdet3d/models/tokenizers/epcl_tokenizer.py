"""The EPCL point tokenizer: FPS + kNN groups -> mini-PointNet tokens + positions."""
import logging
import warnings
from typing import Dict, Optional, Sequence, Union

from mmdet3d.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import EPCLPointGrouper

# the group encoders' names before they were registered (deprecated; read for one release)
_ENCODER_STRINGS = dict(mini_pointnet='EPCLMiniPointNet', set_abstraction='EPCLSetAbstractionMLP')


def _as_config(value) -> str:
    """``value`` as it is written in a config file (dicts as ``dict(k=v, ...)``)."""
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{k}={_as_config(v)}' for k, v in value.items()) + ')'
    return repr(value)


def group_encoder_cfg(encoder: Union[dict, str], owner: str,
                      hidden_channels: Optional[Sequence[int]] = None,
                      sa_channels: Optional[Sequence[int]] = None,
                      norm_cfg: Optional[dict] = None) -> dict:
    """The group encoder's config from a tokenizer's arguments, old forms translated.

    Args:
        encoder: ``dict(type=..., **kwargs)`` naming a registered group encoder
            (``EPCLMiniPointNet``, ``EPCLSetAbstractionMLP``), or, deprecated, the string
            ``'mini_pointnet'`` / ``'set_abstraction'``.
        owner: the tokenizer's class name, for messages.
        hidden_channels: deprecated tokenizer argument: the mini-PointNet's widths.
        sa_channels: deprecated tokenizer argument: the set-abstraction MLP's widths.
        norm_cfg: deprecated tokenizer argument: the encoder's norm layer.

    Returns:
        the encoder config without ``in_channels`` / ``out_channels`` (the tokenizer
        fills them). A DeprecationWarning (also written to the log) names the new form
        when an old one was used.
    """
    if isinstance(encoder, str):
        if encoder not in _ENCODER_STRINGS:
            raise ValueError(
                f"{owner}: encoder must be dict(type=...) naming a registered group "
                "encoder, e.g. dict(type='EPCLMiniPointNet') or "
                "dict(type='EPCLSetAbstractionMLP'); of the deprecated strings only "
                f"'mini_pointnet' or 'set_abstraction' are read, got {encoder!r}")
        cfg = dict(type=_ENCODER_STRINGS[encoder])
    elif isinstance(encoder, dict) and 'type' in encoder:
        cfg = dict(encoder)
    else:
        raise TypeError(f"{owner}: encoder must be dict(type=...), e.g. "
                        f"dict(type='EPCLMiniPointNet'), got {encoder!r}")
    kind = cfg['type'] if isinstance(cfg['type'], str) else cfg['type'].__name__
    old = {}
    if hidden_channels is not None:
        old['hidden_channels'] = hidden_channels
        if kind.endswith('EPCLMiniPointNet'):  # the old argument only sized the mini-PointNet
            cfg.setdefault('hidden_channels', tuple(hidden_channels))
    if sa_channels is not None:
        old['sa_channels'] = sa_channels
        if kind.endswith('EPCLSetAbstractionMLP'):
            cfg.setdefault('hidden_channels', tuple(sa_channels))
    if norm_cfg is not None:
        old['norm_cfg'] = norm_cfg
        cfg.setdefault('norm_cfg', norm_cfg)
    if isinstance(encoder, str) or old:
        if isinstance(encoder, str):
            old = dict(encoder=encoder, **old)
        given = ', '.join(f'{k}={_as_config(v)}' for k, v in old.items())
        msg = (f'{owner}({given}) is deprecated and will be removed in the next release: '
               f'write encoder={_as_config(cfg)}')
        warnings.warn(msg, DeprecationWarning, stacklevel=3)
        print_log(msg, logger='current', level=logging.WARNING)
    return cfg


def build_group_encoder(cfg: dict, in_channels: int, out_channels: int, owner: str,
                        **widths) -> nn.Module:
    """Build a group encoder, the tokenizer filling in its input and output widths.

    Args:
        cfg: the encoder config (see :func:`group_encoder_cfg`).
        in_channels: channels of a grouped point.
        out_channels: feature width of a group.
        owner: the tokenizer's class name, for messages.
        widths: further arguments the tokenizer sets (e.g. ``hidden_channels``).
    """
    set_here = dict(in_channels=in_channels, out_channels=out_channels, **widths)
    clash = sorted(set(set_here) & set(cfg))
    if clash:
        raise ValueError(f'{owner}: encoder sets {clash}, which the tokenizer fills in '
                         f'itself; leave them out of encoder=dict(...)')
    return MODELS.build(dict(cfg, **set_here))


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
        hidden_channels: deprecated, write ``encoder=dict(type='EPCLMiniPointNet',
            hidden_channels=...)``.
        pos_hidden: hidden width of the positional MLP.
        norm_cfg: deprecated, write ``encoder=dict(..., norm_cfg=...)``.
        encoder: the group encoder, ``dict(type=..., **kwargs)`` without ``in_channels``
            / ``out_channels`` (the tokenizer sets them to ``in_channels`` and
            ``embed_dims``): ``dict(type='EPCLMiniPointNet', hidden_channels=(128, 256))``
            (the paper's, default) or ``dict(type='EPCLSetAbstractionMLP',
            hidden_channels=(64, 128, 256))``, a lighter one with 3DETR's pre-encoder
            widths (about 14x fewer multiply-adds per point). The strings
            ``'mini_pointnet'`` / ``'set_abstraction'`` are deprecated.
        sa_channels: deprecated, write ``encoder=dict(type='EPCLSetAbstractionMLP',
            hidden_channels=...)``.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 num_tokens: int = 64,
                 num_neighbors: int = 32,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 hidden_channels: Optional[Sequence[int]] = None,
                 pos_hidden: int = 128,
                 norm_cfg: Optional[dict] = None,
                 encoder: Union[dict, str] = dict(type='EPCLMiniPointNet'),
                 sa_channels: Optional[Sequence[int]] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 3:
            raise ValueError(f'in_channels must count xyz, so be >= 3, got {in_channels}')
        self.num_tokens = num_tokens
        self.num_neighbors = num_neighbors
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.grouper = EPCLPointGrouper(num_tokens, num_neighbors)
        encoder = group_encoder_cfg(encoder, type(self).__name__, hidden_channels,
                                    sa_channels, norm_cfg)
        self.encoder = build_group_encoder(encoder, in_channels, embed_dims,
                                           type(self).__name__)
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
