"""FPS centres + kNN groups: the grouping step shared by every EPCL tokenizer."""
from typing import Dict, Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ...ops import furthest_point_sample, gather_points, knn_query


@MODELS.register_module()
class EPCLPointGrouper(BaseModule):
    """Cut a point cloud into ``num_groups`` local groups of ``group_size`` points.

    Centres are picked by farthest point sampling; each group holds the centre's
    ``group_size`` nearest neighbours (the centre itself included), with coordinates
    made relative to the centre. Extra per-point features are carried along.

    Args:
        num_groups: M, the number of centres.
        group_size: K, the number of neighbours per centre.
        init_cfg: mmengine init config (the grouper has no weights).
    """

    def __init__(self, num_groups: int, group_size: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_groups < 1 or group_size < 1:
            raise ValueError(f'num_groups ({num_groups}) and group_size '
                             f'({group_size}) must be positive')
        self.num_groups = num_groups
        self.group_size = group_size

    def forward(self, xyz: Tensor, feats: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Group points.

        Args:
            xyz: (B, N, 3) coordinates.
            feats: optional (B, N, C) per-point features (colour, normals, ...).

        Returns:
            dict with ``center_idx`` (B, M) int64, ``centers`` (B, M, 3),
            ``group_idx`` (B, M, K) int64 and ``groups`` (B, M, K, 3 + C), whose first
            three channels are xyz relative to the group's centre.
        """
        num_points = xyz.shape[1]
        if num_points < max(self.num_groups, self.group_size):
            raise ValueError(
                f'got {num_points} points per cloud, but grouping needs at least '
                f'{max(self.num_groups, self.group_size)} (num_groups='
                f'{self.num_groups}, group_size={self.group_size}); lower num_groups '
                '/ group_size in the tokenizer config, or sample more points per cloud '
                '(e.g. PointSample with replace=True) in the pipeline')
        if feats is not None and feats.shape[:2] != xyz.shape[:2]:
            raise ValueError(f'feats has shape {tuple(feats.shape)} but xyz has '
                             f'{tuple(xyz.shape)}; the first two dimensions must match')
        center_idx = furthest_point_sample(xyz, self.num_groups)  # (B, M)
        centers = gather_points(xyz, center_idx)  # (B, M, 3)
        _, group_idx = knn_query(centers, xyz, self.group_size)  # (B, M, K)
        grouped_xyz = gather_points(xyz, group_idx) - centers.unsqueeze(2)  # (B, M, K, 3)
        if feats is not None:
            grouped = torch.cat([grouped_xyz, gather_points(feats, group_idx)],
                                dim=-1)  # (B, M, K, 3 + C)
        else:
            grouped = grouped_xyz
        return dict(center_idx=center_idx, centers=centers, group_idx=group_idx,
                    groups=grouped)
