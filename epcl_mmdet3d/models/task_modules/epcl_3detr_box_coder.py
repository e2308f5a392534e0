"""3DETR's box parametrisation: centre offsets around the queries, sizes relative to
the scene extent, yaw as a bin plus a residual."""
import math

import torch
from mmdet3d.registry import TASK_UTILS
from torch import Tensor


@TASK_UTILS.register_module()
class EPCL3DETRBoxCoder:
    """Decode raw head outputs into boxes and encode boxes into targets.

    Decoding (per query at ``query_xyz``, in a scene with bounds ``[lo, hi]``):

    - centre = query_xyz + (sigmoid(c) - 0.5) * ``center_range`` (3DETR: +-0.5 m);
    - size = sigmoid(s) * (hi - lo);
    - yaw = bin * 2 pi / A + residual * pi / A for the arg-max bin of A bins, moved
      into (-pi, pi]; exactly 0 when A = 1 (as 3DETR).

    Boxes are compared (GIoU in the matcher and the loss) as axis-aligned boxes of their
    centre and size, yaw left out. 3DETR computes a rotated GIoU when any box has a yaw;
    on SUN RGB-D its GIoU loss weight is 0, so this only changes one term of the matching
    cost there (a deliberate simplification: no rotated-GIoU kernel on CPU).

    Args:
        num_angle_bins: A, yaw bins (1 on ScanNet: axis-aligned boxes, yaw 0).
        center_range: full width of the centre offset window in metres (3DETR: 1.0).
    """

    def __init__(self, num_angle_bins: int = 1, center_range: float = 1.0) -> None:
        if num_angle_bins < 1:
            raise ValueError(f'num_angle_bins must be >= 1, got {num_angle_bins}')
        self.num_angle_bins = num_angle_bins
        self.center_range = center_range

    @staticmethod
    def _extent(scene_min: Tensor, scene_max: Tensor) -> Tensor:
        return (scene_max - scene_min).clamp(min=1e-6)  # (B, 3)

    def decode(self, center_raw: Tensor, size_raw: Tensor, angle_cls: Tensor,
               angle_res_raw: Tensor, query_xyz: Tensor, scene_min: Tensor,
               scene_max: Tensor) -> dict:
        """Turn raw head outputs into boxes.

        Args:
            center_raw: (B, Q, 3) centre logits.
            size_raw: (B, Q, 3) size logits.
            angle_cls: (B, Q, A) yaw-bin logits.
            angle_res_raw: (B, Q, A) yaw residual per bin, in units of pi / A.
            query_xyz: (B, Q, 3) query positions.
            scene_min: (B, 3) lower scene bound.
            scene_max: (B, 3) upper scene bound.

        Returns:
            dict of ``center`` (B, Q, 3) metres, ``center_normalized`` (B, Q, 3) in scene
            units, ``size`` (B, Q, 3) metres, ``size_normalized`` (B, Q, 3), ``angle``
            (B, Q) radians, ``corners`` (B, Q, 6) axis-aligned (x1, y1, z1, x2, y2, z2).
        """
        extent = self._extent(scene_min, scene_max)[:, None]  # (B, 1, 3)
        center = query_xyz + (center_raw.sigmoid() - 0.5) * self.center_range
        size_normalized = size_raw.sigmoid()
        size = size_normalized * extent
        bin_width = 2 * math.pi / self.num_angle_bins
        if self.num_angle_bins == 1:
            # 3DETR: one bin means no rotation; the residual is still trained to 0 by
            # the angle loss, but the decoded yaw is exactly 0
            angle = angle_res_raw[..., 0] * 0  # (B, Q)
        else:
            bin_idx = angle_cls.argmax(-1, keepdim=True)  # (B, Q, 1)
            residual = angle_res_raw.gather(-1, bin_idx).squeeze(-1) * (bin_width / 2)
            angle = bin_idx.squeeze(-1).to(center.dtype) * bin_width + residual  # (B, Q)
            angle = torch.where(angle > math.pi, angle - 2 * math.pi, angle)  # 3DETR's wrap
        return dict(
            center=center,
            center_normalized=(center - scene_min[:, None]) / extent,
            size=size,
            size_normalized=size_normalized,
            angle=angle,
            corners=torch.cat([center - size / 2, center + size / 2], dim=-1))

    def encode_targets(self, centers: Tensor, sizes: Tensor, yaws: Tensor,
                       scene_min: Tensor, scene_max: Tensor) -> dict:
        """Normalise ground-truth boxes of one scene for the losses.

        Args:
            centers: (G, 3) gravity centres.
            sizes: (G, 3) sizes.
            yaws: (G,) yaw angles.
            scene_min: (3,) lower scene bound.
            scene_max: (3,) upper scene bound.

        Returns:
            dict of ``center_normalized`` (G, 3), ``size_normalized`` (G, 3),
            ``angle_bin`` (G,) long, ``angle_residual`` (G,) in units of pi / A,
            ``corners`` (G, 6).
        """
        extent = self._extent(scene_min, scene_max)
        bin_width = 2 * math.pi / self.num_angle_bins
        yaw = torch.remainder(yaws + bin_width / 2, 2 * math.pi)  # bins centred on k * width
        angle_bin = (yaw / bin_width).floor().long().clamp(max=self.num_angle_bins - 1)
        angle_residual = (yaw - (angle_bin.to(yaw.dtype) + 0.5) * bin_width) / (bin_width / 2)
        return dict(
            center_normalized=(centers - scene_min) / extent,
            size_normalized=sizes / extent,
            angle_bin=angle_bin,
            angle_residual=angle_residual,
            corners=torch.cat([centers - sizes / 2, centers + sizes / 2], dim=-1))
