"""3DETR's test-time post-processing of one scene's query predictions."""
from typing import Optional, Tuple

import torch
from mmdet3d.registry import TASK_UTILS
from mmdet3d.structures import DepthInstance3DBoxes
from torch import Tensor


@TASK_UTILS.register_module()
class EPCL3DETRPostProcessor:
    """Turn one scene's Q query boxes into the scored boxes that 3DETR evaluates.

    The steps and defaults of 3DETR's ``parse_predictions`` (``utils/ap_calculator.py``,
    ``get_ap_config_dict``: remove_empty_box, use_3d_nms, cls_nms, per_class_proposal):

    1. a query whose box (yaw included) holds fewer than ``min_points_in_box`` input
       points is dropped; if that drops every query, the most object-like one stays;
    2. greedy class-aware NMS over the remaining queries: a query's class is its
       arg-max class, its score its objectness, boxes are compared through the
       axis-aligned hulls of their corners, and a query is suppressed when its IoU with
       a kept, higher-scoring query of the same class exceeds ``nms_iou_thr``;
    3. queries with objectness <= ``objectness_thr`` are dropped (after the NMS, as
       3DETR does);
    4. with ``per_class_proposal`` every surviving query is reported once for each of
       the C classes, scored p_c x objectness (the boxes 3DETR's AP is computed on);
       otherwise once, with its arg-max class and its objectness as score.

    Args:
        min_points_in_box: fewest points a box must hold (3DETR: 5; 0 disables).
        nms_iou_thr: NMS IoU threshold (3DETR: 0.25).
        objectness_thr: objectness a query must exceed (3DETR: 0.05).
        per_class_proposal: report every class per query (3DETR: True).
        max_per_scene: keep at most this many highest-scoring boxes (3DETR: no limit,
            None).
    """

    def __init__(self, min_points_in_box: int = 5, nms_iou_thr: float = 0.25,
                 objectness_thr: float = 0.05, per_class_proposal: bool = True,
                 max_per_scene: Optional[int] = None) -> None:
        if min_points_in_box < 0:
            raise ValueError(f'min_points_in_box must be >= 0, got {min_points_in_box}')
        if not 0.0 <= nms_iou_thr <= 1.0:
            raise ValueError(f'nms_iou_thr is an IoU in [0, 1], got {nms_iou_thr}')
        if max_per_scene is not None and max_per_scene < 1:
            raise ValueError(f'max_per_scene must be >= 1 or None, got {max_per_scene}')
        self.min_points_in_box = min_points_in_box
        self.nms_iou_thr = nms_iou_thr
        self.objectness_thr = objectness_thr
        self.per_class_proposal = per_class_proposal
        self.max_per_scene = max_per_scene

    @staticmethod
    def points_in_boxes(points: Tensor, boxes: Tensor, chunk: int = 64) -> Tensor:
        """Count the points inside each yawed box.

        Args:
            points: (N, 3) xyz.
            boxes: (Q, 7) gravity centre, size, yaw (mmdet3d's depth convention:
                counter-clockwise about +z, as ``DepthInstance3DBoxes``).
            chunk: boxes handled at once (bounds the (chunk, N, 3) temporary).

        Returns:
            (Q,) long counts; a point on a face counts as inside.
        """
        counts = []
        for part in boxes.split(chunk):
            rel = points[None] - part[:, None, :3]  # (q, N, 3)
            cos, sin = part[:, 6].cos()[:, None], part[:, 6].sin()[:, None]  # (q, 1)
            local_x = rel[..., 0] * cos + rel[..., 1] * sin  # (q, N): undo the yaw
            local_y = -rel[..., 0] * sin + rel[..., 1] * cos
            local = torch.stack([local_x, local_y, rel[..., 2]], dim=-1)  # (q, N, 3)
            inside = (local.abs() <= part[:, None, 3:6] / 2).all(-1)  # (q, N)
            counts.append(inside.sum(-1))
        return torch.cat(counts) if counts else boxes.new_zeros(0, dtype=torch.long)

    @staticmethod
    def hull_iou(hulls: Tensor) -> Tensor:
        """Pairwise IoU of axis-aligned boxes.

        Args:
            hulls: (Q, 6) boxes (x1, y1, z1, x2, y2, z2).

        Returns:
            (Q, Q) IoU, intersection / (volume_i + volume_j - intersection).
        """
        lo = torch.maximum(hulls[:, None, :3], hulls[None, :, :3])  # (Q, Q, 3)
        hi = torch.minimum(hulls[:, None, 3:], hulls[None, :, 3:])  # (Q, Q, 3)
        inter = (hi - lo).clamp(min=0).prod(-1)  # (Q, Q)
        vol = (hulls[:, 3:] - hulls[:, :3]).prod(-1)  # (Q,)
        return inter / (vol[:, None] + vol[None, :] - inter)

    def nms(self, hulls: Tensor, scores: Tensor, labels: Tensor) -> Tensor:
        """Greedy class-aware NMS.

        Args:
            hulls: (K, 6) axis-aligned boxes.
            scores: (K,) scores.
            labels: (K,) classes; only boxes of one class suppress each other.

        Returns:
            (k,) long indices of the kept boxes, highest score first.
        """
        order = scores.argsort(descending=True, stable=True)
        iou = self.hull_iou(hulls[order])  # (K, K) in score order
        iou = iou * (labels[order][:, None] == labels[order][None, :])
        suppressed = torch.zeros(len(order), dtype=torch.bool, device=hulls.device)
        keep = []
        for i in range(len(order)):
            if suppressed[i]:
                continue
            keep.append(i)
            suppressed |= iou[i] > self.nms_iou_thr
        return order[torch.as_tensor(keep, dtype=torch.long, device=hulls.device)]

    def __call__(self, boxes: Tensor, cls_prob: Tensor, objectness: Tensor,
                 points: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Post-process one scene.

        Args:
            boxes: (Q, 7) gravity centre, size, yaw of every query's box.
            cls_prob: (Q, C) class probabilities (without "no object").
            objectness: (Q,) 1 - p("no object").
            points: (N, 3) the scene's input points.

        Returns:
            (boxes (n, 7), scores (n,), labels (n,) long), highest score first.
        """
        num_q, num_cls = cls_prob.shape
        if boxes.shape != (num_q, 7) or objectness.shape != (num_q, ):
            raise ValueError(f'expected boxes (Q, 7), cls_prob (Q, C), objectness (Q,); got '
                             f'{tuple(boxes.shape)}, {tuple(cls_prob.shape)}, '
                             f'{tuple(objectness.shape)}')
        candidate = torch.ones(num_q, dtype=torch.bool, device=boxes.device)
        if self.min_points_in_box > 0:
            candidate = self.points_in_boxes(points[:, :3], boxes) >= self.min_points_in_box
            if not candidate.any():
                candidate[objectness.argmax()] = True
        corners = DepthInstance3DBoxes(boxes, box_dim=7, with_yaw=True,
                                       origin=(0.5, 0.5, 0.5)).corners  # (Q, 8, 3)
        hulls = torch.cat([corners.amin(1), corners.amax(1)], dim=-1)  # (Q, 6)
        top_prob, top_cls = cls_prob.max(-1)  # (Q,)
        idx = candidate.nonzero().squeeze(1)  # (K,)
        kept = idx[self.nms(hulls[idx], objectness[idx], top_cls[idx])]
        kept = kept[objectness[kept] > self.objectness_thr]  # (k,)
        if self.per_class_proposal:
            scores = (cls_prob[kept] * objectness[kept, None]).flatten()  # (k * C,)
            labels = torch.arange(num_cls, device=boxes.device).repeat(len(kept))
            kept = kept.repeat_interleave(num_cls)  # (k * C,)
        else:
            scores, labels = objectness[kept], top_cls[kept]
        order = scores.argsort(descending=True, stable=True)
        if self.max_per_scene is not None:
            order = order[:self.max_per_scene]
        return boxes[kept[order]], scores[order], labels[order].long()
