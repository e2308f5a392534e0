"""One-to-one matching of box queries to ground-truth boxes (3DETR's costs)."""
from typing import Tuple

import numpy as np
import torch
from mmdet3d.registry import TASK_UTILS
from mmdet3d.structures import axis_aligned_bbox_overlaps_3d
from scipy.optimize import linear_sum_assignment
from torch import Tensor


@TASK_UTILS.register_module()
class EPCLHungarianMatcher:
    """Hungarian matching with the cost ``w_giou * (-GIoU) + w_cls * (-p_class)
    + w_center * L1(centre) + w_obj * (-objectness)``.

    Args:
        cost_giou: weight of the negative axis-aligned 3D GIoU (3DETR: 2).
        cost_class: weight of the negative probability of the ground-truth class
            (3DETR: 1).
        cost_center: weight of the L1 distance of normalised centres (3DETR: 0).
        cost_objectness: weight of the negative objectness (3DETR: 0).
    """

    def __init__(self, cost_giou: float = 2.0, cost_class: float = 1.0,
                 cost_center: float = 0.0, cost_objectness: float = 0.0) -> None:
        self.cost_giou = cost_giou
        self.cost_class = cost_class
        self.cost_center = cost_center
        self.cost_objectness = cost_objectness

    @staticmethod
    def assign(cost: Tensor) -> Tuple[Tensor, Tensor]:
        """Solve the assignment for one cost matrix.

        Args:
            cost: (Q, G) cost of giving ground truth g to query q.

        Returns:
            (query_idx (K,), gt_idx (K,)) long tensors, K = min(Q, G), minimising the
            total cost.
        """
        if cost.dim() != 2:
            raise ValueError(f'cost must be (Q, G), got {tuple(cost.shape)}')
        if cost.numel() == 0:
            empty = torch.zeros(0, dtype=torch.long, device=cost.device)
            return empty, empty.clone()
        cost_np = cost.detach().float().cpu().numpy()
        if not np.isfinite(cost_np).all():
            raise ValueError('the matching cost has NaN or inf entries: the predictions '
                             'diverged (lower the learning rate or check the input)')
        rows, cols = linear_sum_assignment(cost_np)
        return (torch.as_tensor(rows, dtype=torch.long, device=cost.device),
                torch.as_tensor(cols, dtype=torch.long, device=cost.device))

    @torch.no_grad()
    def cost_matrix(self, cls_prob: Tensor, pred_corners: Tensor,
                    pred_center_norm: Tensor, gt_labels: Tensor, gt_corners: Tensor,
                    gt_center_norm: Tensor) -> Tensor:
        """Matching cost of one scene.

        Args:
            cls_prob: (Q, C + 1) class probabilities, the last column "no object".
            pred_corners: (Q, 6) predicted boxes (x1, y1, z1, x2, y2, z2).
            pred_center_norm: (Q, 3) predicted normalised centres.
            gt_labels: (G,) ground-truth classes in [0, C).
            gt_corners: (G, 6) ground-truth boxes.
            gt_center_norm: (G, 3) ground-truth normalised centres.

        Returns:
            (Q, G) cost.
        """
        cost = -self.cost_class * cls_prob[:, gt_labels]  # (Q, G)
        if self.cost_giou:
            giou = axis_aligned_bbox_overlaps_3d(pred_corners, gt_corners, mode='giou')
            cost = cost - self.cost_giou * giou
        if self.cost_center:
            cost = cost + self.cost_center * torch.cdist(pred_center_norm, gt_center_norm, p=1)
        if self.cost_objectness:
            cost = cost - self.cost_objectness * (1 - cls_prob[:, -1:])
        return cost

    def match(self, cls_prob: Tensor, pred_corners: Tensor, pred_center_norm: Tensor,
              gt_labels: Tensor, gt_corners: Tensor,
              gt_center_norm: Tensor) -> Tuple[Tensor, Tensor]:
        """Match the queries of one scene to its ground truth.

        Args: as :meth:`cost_matrix`.

        Returns:
            (query_idx (K,), gt_idx (K,)), K = min(Q, G).
        """
        return self.assign(self.cost_matrix(cls_prob, pred_corners, pred_center_norm,
                                            gt_labels, gt_corners, gt_center_norm))
