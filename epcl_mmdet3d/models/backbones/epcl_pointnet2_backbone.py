"""The EPCL encoder behind mmdet3d's PointNet++ backbone contract (a drop-in backbone)."""
from typing import Dict, List, Optional

import torch
from mmcv.cnn import ConvModule
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class EPCLPointNet2Backbone(BaseModule):
    """Frozen-CLIP point encoder that returns what ``PointNet2SASSG`` returns.

    mmdet3d's point-based heads read a dict of per-level lists from their
    backbone: ``VoteHead`` (VoteNet) and ``GroupFree3DHead`` take the *last*
    ``fp_xyz`` / ``fp_features`` / ``fp_indices`` entries as seeds, ``PointNet2Head``
    (segmentation) propagates ``sa_xyz`` / ``sa_features`` from the deepest level
    back to level 0. This backbone fills that dict from an :class:`EPCLEncoder`:

    - ``sa_xyz[l]`` (B, N_l, 3), ``sa_indices[l]`` (B, N_l) int64 indices into the
      input cloud, ``sa_features[l]`` (B, C_l, N_l); level 0 is the input (its
      features are the channels after xyz, None for xyz-only input, as in
      ``PointNet2SASSG``). With ``EPCLTokenizer`` there are two levels (input,
      tokens); with ``EPCLHierarchicalTokenizer`` one per tokenizer level, the
      tokenizer's own features at the grouping levels.
    - The deepest level holds the M token centres and the CLIP patch outputs,
      projected to ``out_channels`` by a 1x1 conv + BN + ReLU (the head's input width;
      PointNet++ features leave an FP / SA MLP through BN + ReLU too).
    - ``fp_xyz`` / ``fp_features`` / ``fp_indices`` are one-entry lists holding that
      deepest level: the seeds. (``PointNet2SASSG`` lists its FP levels from coarse to
      fine; the heads read only the last entry.)

    Args:
        encoder: :class:`EPCLEncoder` config. Its tokenizer's ``in_channels`` is
            filled from ``in_channels``.
        in_channels: channels of an input point, xyz included: what the data
            pipeline produces (``len(use_dim)`` of ``LoadPointsFromFile``, +1 with
            ``shift_height=True``, +3 with ``use_normalized_coord=True``).
        out_channels: width of the deepest level's features (the head's input
            width, e.g. 256 for VoteNet, 288 for GroupFree3D, 512 for PointNet2Head's
            SSG decoder); None keeps the CLIP width D without a projection.
        with_token_feats: concatenate the tokenizer's token features (before CLIP)
            to the CLIP outputs ahead of the projection (2D input channels).
        norm_cfg: norm of the projection.
        init_cfg: mmengine init config of the trainable parts.
    """

    def __init__(self,
                 encoder: dict,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 with_token_feats: bool = False,
                 norm_cfg: dict = dict(type='BN1d'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 3:
            raise ValueError(f'in_channels counts xyz, so must be >= 3, got {in_channels}')
        encoder = dict(encoder)
        tokenizer = dict(encoder['tokenizer'])
        given = tokenizer.setdefault('in_channels', in_channels)
        if given != in_channels:
            raise ValueError(
                f"the tokenizer was configured with in_channels={given} but the backbone "
                f'with in_channels={in_channels}; drop in_channels from the tokenizer '
                'config (it is taken from the backbone)')
        encoder['tokenizer'] = tokenizer
        self.in_channels = in_channels
        self.encoder = MODELS.build(encoder)
        width = self.encoder.embed_dims * (2 if with_token_feats else 1)
        self.with_token_feats = with_token_feats
        self.out_channels = out_channels or width
        self.proj = (ConvModule(width, out_channels, 1, conv_cfg=dict(type='Conv1d'),
                                norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
                     if out_channels is not None else None)

    def forward(self, points: Tensor) -> Dict[str, List[Optional[Tensor]]]:
        """Encode points into the PointNet++ backbone dict.

        Args:
            points: (B, N, in_channels), xyz first.

        Returns:
            dict of lists ``sa_xyz``, ``sa_features``, ``sa_indices`` (one entry per
            level, level 0 the input) and ``fp_xyz`` (B, M, 3), ``fp_features``
            (B, out_channels, M), ``fp_indices`` (B, M) (one entry: the tokens).
        """
        if points.dim() != 3 or points.shape[-1] != self.in_channels:
            raise ValueError(
                f'EPCLPointNet2Backbone(in_channels={self.in_channels}) got points of '
                f'shape {tuple(points.shape)}, expected (B, N, {self.in_channels}). Set '
                "the backbone's in_channels to the channels the pipeline produces: "
                "len(use_dim) of LoadPointsFromFile, +1 with shift_height=True, +3 with "
                'IndoorPatchPointSample(use_normalized_coord=True)')
        batch_size, num_points = points.shape[:2]
        out = self.encoder(points)
        xyz = points[..., :3].contiguous()  # (B, N, 3)
        feats0 = (points[..., 3:].transpose(1, 2).contiguous()
                  if self.in_channels > 3 else None)  # (B, C0, N) or None
        idx0 = torch.arange(num_points, device=points.device).expand(
            batch_size, -1)  # (B, N)
        if 'level_xyz' in out:  # hierarchical: every grouping level is a level
            sa_xyz = list(out['level_xyz'][:-1])
            sa_indices = list(out['level_indices'][:-1])
            sa_features = [feats0] + [f.transpose(1, 2).contiguous()  # (B, C_l, N_l)
                                      for f in out['level_feats'][1:-1]]
        else:
            sa_xyz, sa_features, sa_indices = [xyz], [feats0], [idx0]
            out['level_indices'] = [idx0, out['center_idx']]
        token_feats = out['patch_feats']  # (B, M, D)
        if self.with_token_feats:
            token_feats = torch.cat([token_feats, out['tokens']], dim=-1)  # (B, M, 2D)
        token_feats = token_feats.transpose(1, 2).contiguous()  # (B, D', M)
        if self.proj is not None:
            token_feats = self.proj(token_feats)  # (B, out_channels, M)
        centers, center_idx = out['centers'], out['level_indices'][-1]  # (B, M, 3), (B, M)
        sa_xyz.append(centers)
        sa_features.append(token_feats)
        sa_indices.append(center_idx)
        return dict(sa_xyz=sa_xyz, sa_features=sa_features, sa_indices=sa_indices,
                    fp_xyz=[centers], fp_features=[token_feats], fp_indices=[center_idx])
