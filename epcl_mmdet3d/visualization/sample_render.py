"""Draw one mmdet3d ``Det3DDataSample`` over its points: boxes or per-point labels.

The one entry point behind ``tools/test.py --show-dir`` (through
``EPCLVisualizationHook``), ``tools/infer.py`` and ``tools/misc/browse_dataset.py``: it
reads predictions (``pred_instances_3d`` / ``pred_pts_seg``) and ground truth
(``gt_instances_3d`` / ``gt_pts_seg`` as the training pipeline packs them, or
``eval_ann_info`` as a test-mode data set keeps them) and hands them to the headless
renderers. No display and no open3d (mmdet3d's own visualiser draws through open3d).
"""
from typing import Optional, Sequence

import numpy as np
import torch

from .det_render import render_det_scene
from .seg_render import render_seg_comparison


def _numpy(x) -> Optional[np.ndarray]:
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _boxes(boxes) -> np.ndarray:
    """(P, 6) gravity centre + size of mmdet3d boxes (yaw is not drawn)."""
    return torch.cat([boxes.gravity_center, boxes.dims], dim=1).detach().cpu().numpy()


def _true_boxes(sample):
    if 'gt_instances_3d' in sample and 'bboxes_3d' in sample.gt_instances_3d:
        gt = sample.gt_instances_3d
        return _boxes(gt.bboxes_3d), _numpy(gt.labels_3d)
    ann = sample.get('eval_ann_info') or {}
    if ann.get('gt_bboxes_3d') is not None:
        labels = _numpy(ann['gt_labels_3d'])
        keep = labels >= 0  # -1 marks boxes of classes outside the metainfo
        return _boxes(ann['gt_bboxes_3d'])[keep], labels[keep]
    return None, None


def _true_labels(sample) -> Optional[np.ndarray]:
    if 'gt_pts_seg' in sample and 'pts_semantic_mask' in sample.gt_pts_seg:
        return _numpy(sample.gt_pts_seg.pts_semantic_mask)
    ann = sample.get('eval_ann_info') or {}
    return _numpy(ann.get('pts_semantic_mask'))


def render_data_sample(points, sample, out_file: str, class_names: Sequence[str],
                       palette: Optional[Sequence[Sequence[int]]] = None,
                       ignore_index: Optional[int] = None, score_thr: Optional[float] = None,
                       max_boxes: Optional[int] = None, title: str = '') -> Optional[str]:
    """Draw what ``sample`` holds over ``points`` and write a PNG.

    Args:
        points: (N, C) the points the model read (C >= 3; xyz first), tensor or array.
        sample: a ``Det3DDataSample`` with predictions and / or ground truth.
        out_file: PNG path to write.
        class_names: names of the class ids.
        palette: RGB (0..255) per class, for per-point labels (a fixed one if None).
        ignore_index: label of unannotated points (segmentation).
        score_thr: draw the predicted boxes scoring at least this.
        max_boxes: draw at most this many predicted boxes (the highest scores); with
            neither, the 10 best are drawn.
        title: figure title.

    Returns:
        ``out_file``, or None when the sample holds neither boxes nor per-point labels
        (a classification sample, say).
    """
    points = _numpy(points)
    gt_boxes, gt_box_labels = _true_boxes(sample)
    if 'pred_instances_3d' in sample or gt_boxes is not None:
        pred = sample.get('pred_instances_3d')
        return render_det_scene(
            points, out_file,
            pred_boxes=None if pred is None else _boxes(pred.bboxes_3d),
            pred_labels=None if pred is None else _numpy(pred.labels_3d),
            pred_scores=None if pred is None else _numpy(pred.scores_3d),
            gt_boxes=gt_boxes, gt_labels=gt_box_labels, class_names=class_names,
            score_thr=score_thr, max_boxes=max_boxes, title=title)
    pred_labels = _numpy(sample.pred_pts_seg.pts_semantic_mask) \
        if 'pred_pts_seg' in sample else None
    true_labels = _true_labels(sample)
    if true_labels is not None and len(true_labels) != len(points):
        true_labels = None  # labels of other points (a sampled pipeline): not drawable
    if pred_labels is None and true_labels is None:
        return None
    if palette is None:
        palette = [[(37 * i) % 256, (91 * i) % 256, (151 * i) % 256]
                   for i in range(len(class_names))]
    return render_seg_comparison(points[:, :3], pred_labels, true_labels, list(class_names),
                                 palette, out_file, ignore_index=ignore_index,
                                 title=title or None)
