"""3DETR's set-prediction losses for one decoder layer."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS, TASK_UTILS
from mmdet3d.structures import axis_aligned_bbox_overlaps_3d
from mmengine.model import BaseModule
from torch import Tensor

from .box_count import mean_box_count


@MODELS.register_module()
class EPCLSetCriterion(BaseModule):
    """Hungarian-matched detection losses.

    For each scene the queries are matched one-to-one to the ground-truth boxes (the
    matcher is re-run for every decoder layer). Then:

    - ``loss_cls``: cross-entropy over C + 1 classes for every query; unmatched queries
      target "no object", whose class weight is ``no_object_weight``;
    - ``loss_giou``: 1 - GIoU of the matched pairs (axis-aligned);
    - ``loss_center``: L1 of normalised centres of the matched pairs;
    - ``loss_size``: L1 of normalised sizes of the matched pairs;
    - ``loss_angle_cls`` / ``loss_angle_reg``: yaw bin CE and residual Huber loss
      (delta 1, on the residual in units of pi / A; 3DETR's ``huber_loss``) (matched);
      the bin CE only when the predictions hold ``angle_cls`` (with one angle bin the
      head has no bin classifier: a CE over one bin is exactly 0, so the log would show
      a term that does not exist); the residual loss always, as 3DETR trains it.

    Box losses are summed over matched pairs and divided by the number of ground-truth
    boxes in the batch (at least 1; with several processes, the mean of their counts, as
    3DETR: see ``mean_box_count``); the class loss is the weighted mean over queries.

    Boxes labelled -1 (mmdet3d's "ignore": e.g. the novel classes of an
    open-vocabulary protocol, left out of the training ``metainfo``) are handled as
    ``ignored_boxes`` says:

    - ``'drop'`` (default, as before): the head removes them before matching, so a query
      on such an object is unmatched and trained towards "no object";
    - ``'mask'``: they take part in the matching on geometry alone (no class cost), and
      the queries matched to them get no loss at all (no class, no "no object", no box
      term; they are not counted in the box normaliser). The object is unlabelled, not
      background: what open-vocabulary protocols ask of novel classes.

    Args:
        num_classes: C.
        matcher: config of the matcher (``EPCLHungarianMatcher``).
        no_object_weight: CE weight of the "no object" class (3DETR on ScanNet: 0.25).
        ignored_boxes: ``'drop'`` or ``'mask'``, see above.
        loss_weights: weights per loss name (3DETR: giou 1, cls 1, center 5, size 1,
            angle_cls 0.1, angle_reg 0.5).
        init_cfg: mmengine init config.
    """

    def __init__(self, num_classes: int, matcher: dict = dict(type='EPCLHungarianMatcher'),
                 no_object_weight: float = 0.25,
                 loss_weights: Dict[str, float] = dict(
                     loss_cls=1.0, loss_giou=1.0, loss_center=5.0, loss_size=1.0,
                     loss_angle_cls=0.1, loss_angle_reg=0.5),
                 ignored_boxes: str = 'drop',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if ignored_boxes not in ('drop', 'mask'):
            raise ValueError(f"ignored_boxes must be 'drop' (boxes labelled -1 removed "
                             f"before matching) or 'mask' (matched, then no loss), got "
                             f'{ignored_boxes!r}')
        self.ignored_boxes = ignored_boxes
        self.num_classes = num_classes
        self.matcher = TASK_UTILS.build(matcher)
        weight = torch.ones(num_classes + 1)
        weight[-1] = no_object_weight
        self.register_buffer('class_weight', weight, persistent=False)
        self.loss_weights = dict(loss_weights)

    def _match(self, cls_prob: Tensor, preds: Dict[str, Tensor], b: int,
               tgt: Dict[str, Tensor]):
        """Hungarian matching of scene ``b``; boxes labelled -1 (``ignored_boxes='mask'``)
        get no class cost: they read an all-zero probability column."""
        labels = tgt['labels']
        ignored = labels < 0
        if bool(ignored.any()):
            if self.ignored_boxes != 'mask':
                raise ValueError("boxes labelled -1 reached EPCLSetCriterion with "
                                 "ignored_boxes='drop'; the head should have removed them")
            zero = cls_prob.new_zeros(cls_prob.shape[0], 1)
            cls_prob = torch.cat([cls_prob[:, :-1], zero, cls_prob[:, -1:]], dim=-1)
            labels = torch.where(ignored, torch.full_like(labels, self.num_classes), labels)
        return self.matcher.match(cls_prob, preds['corners'][b].detach(),
                                  preds['center_normalized'][b].detach(), labels,
                                  tgt['corners'], tgt['center_normalized'])

    def set_num_classes(self, num_classes: int) -> None:
        """Train over ``num_classes`` classes from now on (an open-vocabulary head whose
        class names changed); the "no object" weight is kept."""
        weight = self.class_weight.new_ones(num_classes + 1)
        weight[-1] = self.class_weight[-1]
        self.class_weight = weight
        self.num_classes = num_classes

    def forward(self, preds: Dict[str, Tensor], targets: List[Dict[str, Tensor]]
                ) -> Dict[str, Tensor]:
        """Losses of one decoder layer.

        Args:
            preds: ``cls_logits`` (B, Q, C + 1), ``corners`` (B, Q, 6),
                ``center_normalized`` (B, Q, 3), ``size_normalized`` (B, Q, 3), and
                optionally ``angle_cls`` (B, Q, A), ``angle_res_raw`` (B, Q, A).
            targets: per scene, ``labels`` (G,) long (-1: ignored, with
                ``ignored_boxes='mask'``), ``corners`` (G, 6),
                ``center_normalized`` (G, 3), ``size_normalized`` (G, 3),
                ``angle_bin`` (G,) long, ``angle_residual`` (G,).

        Returns:
            dict of weighted scalar losses, one per non-zero entry of ``loss_weights``
            (the yaw terms only with yaw predictions).
        """
        cls_logits = preds['cls_logits']
        bsz, num_q = cls_logits.shape[:2]
        cls_prob = cls_logits.detach().softmax(-1)  # (B, Q, C + 1)
        cls_target = cls_logits.new_full((bsz, num_q), self.num_classes, dtype=torch.long)
        zero = cls_logits.sum() * 0  # keeps the graph for scenes without boxes
        with_bins = 'angle_cls' in preds
        sums = dict(loss_giou=zero, loss_center=zero, loss_size=zero, loss_angle_reg=zero)
        if with_bins:
            sums.update(loss_angle_cls=zero)
        num_boxes = 0
        for b, tgt in enumerate(targets):
            num_gt = tgt['labels'].numel()
            if num_gt == 0:
                continue
            q_idx, g_idx = self._match(cls_prob[b], preds, b, tgt)
            cls_target[b, q_idx] = tgt['labels'][g_idx]  # -1 where ignored: no class loss
            labelled = tgt['labels'][g_idx] >= 0
            q_idx, g_idx = q_idx[labelled], g_idx[labelled]  # box losses: labelled only
            num_boxes += int((tgt['labels'] >= 0).sum())
            giou = axis_aligned_bbox_overlaps_3d(
                preds['corners'][b, q_idx], tgt['corners'][g_idx], mode='giou',
                is_aligned=True)  # (K,)
            sums['loss_giou'] = sums['loss_giou'] + (1 - giou).sum()
            sums['loss_center'] = sums['loss_center'] + F.l1_loss(
                preds['center_normalized'][b, q_idx], tgt['center_normalized'][g_idx],
                reduction='sum')
            sums['loss_size'] = sums['loss_size'] + F.l1_loss(
                preds['size_normalized'][b, q_idx], tgt['size_normalized'][g_idx],
                reduction='sum')
            bins = tgt['angle_bin'][g_idx]  # (K,)
            if with_bins:
                sums['loss_angle_cls'] = sums['loss_angle_cls'] + F.cross_entropy(
                    preds['angle_cls'][b, q_idx], bins, reduction='sum')
            res = preds['angle_res_raw'][b, q_idx].gather(-1, bins[:, None]).squeeze(-1)
            sums['loss_angle_reg'] = sums['loss_angle_reg'] + F.huber_loss(
                res, tgt['angle_residual'][g_idx], reduction='sum', delta=1.0)
        # 3DETR's normaliser: with several processes, the mean of their box counts
        num_boxes = mean_box_count(num_boxes, cls_logits.device)
        losses = {k: v / num_boxes for k, v in sums.items()}
        losses['loss_cls'] = F.cross_entropy(
            cls_logits.flatten(0, 1), cls_target.flatten(),
            weight=self.class_weight.to(cls_logits.dtype), ignore_index=-1)
        return {k: v * self.loss_weights.get(k, 0.0) for k, v in losses.items()
                if self.loss_weights.get(k, 0.0) != 0}
