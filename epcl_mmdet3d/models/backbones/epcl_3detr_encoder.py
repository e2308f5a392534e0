"""3DETR's own point encoder (plain and masked), with the output contract of ``EPCLEncoder``.

Built from mmdet3d's / mmcv's parts: mmdet3d's ``PointSAModule`` (PointNet++ set
abstraction over mmcv's FPS, ball query and grouping) and mmcv's pre-norm
``BaseTransformerLayer``. Written here is only what neither has: the radius masks of
3DETR-m and the wiring (a second set abstraction between its first and second layer).
"""
import copy
from typing import Dict, List, Optional, Sequence

import torch
from mmcv.cnn.bricks.transformer import BaseTransformerLayer
from mmdet3d.models.layers import build_sa_module
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import points_as_float32


def _check_cpu_fallback() -> None:
    """mmcv's point ops are CUDA-only until the plugin's opt-in CPU branch is installed."""
    from mmcv.ops.furthest_point_sample import FurthestPointSampling
    if not getattr(FurthestPointSampling, '_epcl_cpu_fallback', False):
        raise RuntimeError(
            "EPCL3DETREncoder runs mmdet3d's set abstraction, whose mmcv ops (FPS, ball "
            'query, grouping) are CUDA-only; for CPU tensors import '
            "'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback' first (in a config: add it to "
            'custom_imports, as configs/3detr_*_det*.py do), or move the model to CUDA')


@MODELS.register_module()
class EPCL3DETREncoder(BaseModule):
    """3DETR's encoder (facebookresearch/3detr, ``models/model_3detr.py``): a PointNet++
    set abstraction, then a stack of pre-norm self-attention layers over its centres.

    ``points -> SA (FPS centres, ball groups, shared MLP, max-pool) -> L x [LN, MHA, +,
    LN, FFN, +]``; no positional encoding and no final norm in the encoder, as 3DETR
    (``--enc_pos_embed None``). 3DETR-m (``--enc_type masked``) adds two things:

    - layer ``l`` attends only between centres closer than ``masking_radii[l]``
      (Euclidean, strict); 3DETR's code squares 0.4 / 0.8 / 1.2 and compares the squares
      with the plain ``torch.cdist`` distance, so its masks are balls of radius 0.16,
      0.64 and 1.44 m, which is what the configs here write down;
    - a second set abstraction (``interim_sa``) after the first layer halves the
      centres, so the head sees its 1024 centres instead of 2048.

    Where this differs from 3DETR's code: the set abstractions are mmdet3d's
    ``PointSAModule`` (mmcv's D-FPS, ball query and grouping; the same sampling and
    grouping rule as 3DETR's ``PointnetSAModuleVotes`` with ``normalize_xyz=True``), and
    their convolutions keep mmcv's ``ConvModule`` initialisation (Kaiming, fan-out)
    rather than 3DETR's (Kaiming, fan-in); the attention and feed-forward weights get
    3DETR's Xavier-uniform initialisation at construction, as 3DETR's
    ``TransformerEncoder._reset_parameters`` does.

    Args:
        pre_encoder: config of the first set abstraction, mmdet3d's
            ``PointSAModule`` (3DETR: 2048 centres, radius 0.2, 64 samples, MLP
            ``[C, 64, 128, 256]`` with ``C`` the point channels beyond xyz, 0 for xyz
            only, ``normalize_xyz=True``). Its last MLP width is the token width D.
        num_layers: transformer layers (3DETR: 3).
        num_heads: attention heads (3DETR: 4).
        ffn_channels: hidden width of the feed-forward block (3DETR: 128).
        dropout: dropout on the attention weights, after the attention and in the
            feed-forward block (3DETR: 0.1; 3DETR-m on ScanNet: 0.3).
        activation: feed-forward activation, an mmcv activation config type
            (3DETR: 'ReLU').
        masking_radii: None for plain 3DETR; else one radius per layer in metres
            (3DETR-m: ``(0.16, 0.64, 1.44)``), 0 or None leaving a layer unmasked.
        interim_sa: None, or the config of the ``PointSAModule`` run after the first
            layer (3DETR-m: 1024 centres, radius 0.4, 32 samples, MLP
            ``[D, 256, 256, D]``, ``normalize_xyz=True``).
        init_cfg: mmengine init config.
    """

    def __init__(self, pre_encoder: dict, num_layers: int = 3, num_heads: int = 4,
                 ffn_channels: int = 128, dropout: float = 0.1, activation: str = 'ReLU',
                 masking_radii: Optional[Sequence[Optional[float]]] = None,
                 interim_sa: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        if masking_radii is not None and len(masking_radii) != num_layers:
            raise ValueError(f'masking_radii has {len(masking_radii)} entries but there are '
                             f'{num_layers} layers; give one radius per layer (0 = unmasked)')
        self.in_channels = 3 + self._mlp(pre_encoder, 'pre_encoder')[0]
        self.embed_dims = self._mlp(pre_encoder, 'pre_encoder')[-1]
        if self.embed_dims % num_heads:
            raise ValueError(f'the token width {self.embed_dims} (the last MLP width of '
                             f'pre_encoder) is not divisible by num_heads={num_heads}')
        # deep copies: mmdet3d's SA adds 3 (xyz) to the first MLP width of the list it is
        # given, in place, so building twice from one config would grow it
        self.pre_encoder = build_sa_module(copy.deepcopy(pre_encoder))
        self.num_heads = num_heads
        layer = dict(
            batch_first=True,
            operation_order=('norm', 'self_attn', 'norm', 'ffn'),  # 3DETR: pre-norm
            attn_cfgs=dict(type='MultiheadAttention', embed_dims=self.embed_dims,
                           num_heads=num_heads, attn_drop=dropout, proj_drop=dropout),
            ffn_cfgs=dict(type='FFN', embed_dims=self.embed_dims,
                          feedforward_channels=ffn_channels, num_fcs=2, ffn_drop=dropout,
                          act_cfg=dict(type=activation, inplace=True)),
            norm_cfg=dict(type='LN'))
        self.layers = nn.ModuleList(BaseTransformerLayer(**copy.deepcopy(layer))
                                    for _ in range(num_layers))
        self.masking_radii: List[float] = [float(r or 0.0) for r in
                                           (masking_radii or [0.0] * num_layers)]
        self.interim_sa = None
        if interim_sa is not None:
            mlp = self._mlp(interim_sa, 'interim_sa')
            if mlp[0] != self.embed_dims or mlp[-1] != self.embed_dims:
                raise ValueError(f'interim_sa maps the {self.embed_dims}-wide tokens to '
                                 f'{self.embed_dims}-wide tokens: its mlp_channels must '
                                 f'start and end with {self.embed_dims}, got {mlp}')
            self.interim_sa = build_sa_module(copy.deepcopy(interim_sa))
        for p in self.layers.parameters():  # 3DETR: xavier_uniform on every matrix
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    @staticmethod
    def _mlp(cfg: dict, name: str) -> List[int]:
        mlp = list(cfg.get('mlp_channels', ()))
        if len(mlp) < 2:
            raise ValueError(f'{name} needs mlp_channels [C_in, ..., C_out] (mmdet3d '
                             f"PointSAModule's, C_in without the 3 xyz channels), got {mlp}")
        return mlp

    def radius_mask(self, xyz: Tensor, radius: float) -> Tensor:
        """The attention mask of one masked layer.

        Args:
            xyz: (B, M, 3) token centres.
            radius: ball radius in metres; a token attends to the tokens strictly
                closer than it (always to itself).

        Returns:
            (B * num_heads, M, M) bool, True where attention is blocked (the layout of
            ``nn.MultiheadAttention``'s ``attn_mask``, heads of one scene adjacent).
        """
        with torch.no_grad():
            blocked = torch.cdist(xyz, xyz) >= radius  # (B, M, M)
        return blocked.repeat_interleave(self.num_heads, dim=0)  # (B * H, M, M)

    def forward(self, points: Tensor) -> Dict[str, Tensor]:
        """Encode points.

        Args:
            points: (B, N, 3 + C) coordinates first, then the C extra channels the
                pre-encoder's MLP takes; any floating dtype (computed in float32).

        Returns:
            dict of ``centers`` (B, M, 3) token centres, ``patch_feats`` (B, M, D) token
            features (the key ``EPCL3DETRDetector`` reads, as from ``EPCLEncoder``) and
            ``indices`` (B, M) long, each token centre's index in ``points``.
        """
        points = points_as_float32(points)  # (B, N, 3 + C)
        if not points.is_cuda:
            _check_cpu_fallback()
        if points.shape[-1] != self.in_channels:
            raise ValueError(f'points have {points.shape[-1]} channels but the pre-encoder '
                             f'takes {self.in_channels} (xyz + mlp_channels[0]); match '
                             "the pipeline's use_dim and pre_encoder.mlp_channels[0]")
        xyz = points[..., :3].contiguous()  # (B, N, 3)
        extra = (points[..., 3:].transpose(1, 2).contiguous()
                 if self.in_channels > 3 else None)  # (B, C, N) or None
        xyz, feats, indices = self.pre_encoder(xyz, extra)  # (B, M, 3), (B, D, M), (B, M)
        indices = indices.long()
        tokens = feats.transpose(1, 2)  # (B, M, D)
        for i, layer in enumerate(self.layers):
            radius = self.masking_radii[i]
            mask = self.radius_mask(xyz, radius) if radius > 0 else None
            tokens = layer(tokens, attn_masks=[mask])  # (B, M, D)
            if i == 0 and self.interim_sa is not None:
                xyz, feats, sub = self.interim_sa(
                    xyz, tokens.transpose(1, 2).contiguous())  # (B, M', 3), (B, D, M')
                tokens = feats.transpose(1, 2)  # (B, M', D)
                indices = indices.gather(1, sub.long())  # (B, M') into the input points
        return dict(centers=xyz, patch_feats=tokens, indices=indices)

    def extra_repr(self) -> str:
        radii = ', '.join(f'{r:.2f}' for r in self.masking_radii)
        return f'embed_dims={self.embed_dims}, masking_radii=[{radii}]'
