"""mmdet3d's IndoorMetric (AP@IoU of 3D boxes) on any evaluation set, a subset included."""
from typing import Dict, List, Optional, Set

import numpy as np
import torch
from mmdet3d.evaluation.metrics import IndoorMetric
from mmdet3d.registry import METRICS
from mmengine.logging import MMLogger


@METRICS.register_module()
class EPCLIndoorMetric(IndoorMetric):
    """``IndoorMetric`` whose mean AP is defined on every evaluation set.

    mmdet3d's ``IndoorMetric`` puts every class that has a box *or a prediction* into
    its table. A class with predictions but no ground-truth box in the set has no
    positives: its recall is 0 / 0, its AP nan, and so is the overall ``mAP``. 3DETR's
    post-processing (``per_class_proposal``) reports every kept query once per class,
    so this happens on every set that lacks a class: a few scenes, a user's own scans, a
    class subset (full ScanNet val holds all 18 classes and is not affected).

    This metric gives the same keys and, where every evaluated class has a box, the same
    numbers. It differs in two places:

    - classes without a ground-truth box in the set (``absent_classes``):
      ``'skip'`` (default) leaves them out of the table and the means, which average
      over the classes that have boxes (a class with boxes but no prediction counts
      with AP 0, as in IndoorMetric); ``'zero'`` is what 3DETR's own evaluator
      (``utils/eval_det.py``) computes: a class with predictions but no box gets AP
      and recall 0 and counts in the means, a class with neither is left out;
    - boxes labelled -1 (mmdet3d's "ignore": classes left out of a ``metainfo``
      subset, which ScanNet and SUN RGB-D keep) are dropped from the ground truth,
      as training drops them. IndoorMetric would read -1 as the last class name
      (``classes[-1]``) and evaluate those boxes as a class of their own.

    The result also holds ``classes_left_out``: the names of the dataset's classes
    that the means leave out (a list, logged as a warning when not empty).

    Args:
        iou_thr: IoU thresholds, as ``IndoorMetric``.
        absent_classes: ``'skip'`` or ``'zero'``, see above.
        collect_device / prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """

    def __init__(self, iou_thr: List[float] = [0.25, 0.5], absent_classes: str = 'skip',
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(iou_thr=iou_thr, collect_device=collect_device, prefix=prefix)
        if absent_classes not in ('skip', 'zero'):
            raise ValueError(f"absent_classes must be 'skip' (mean over the classes with "
                             f"ground truth) or 'zero' (3DETR's evaluator), got "
                             f'{absent_classes!r}')
        self.absent_classes = absent_classes

    def compute_metrics(self, results: list) -> Dict[str, object]:
        """IndoorMetric's keys (``mAP_0.25``, ``<class>_AP_0.25``, ``mAR_0.25``, ...)
        over the evaluated classes, plus ``classes_left_out``.

        Args:
            results: (``eval_ann_info``, predictions) per scene, from ``process``.
        """
        results = [(_without_ignored(ann), pred) for ann, pred in results]
        with_gt: Set[int] = set()
        predicted: Set[int] = set()
        for ann, pred in results:
            with_gt.update(np.asarray(ann['gt_labels_3d']).tolist())
            predicted.update(torch.as_tensor(pred['labels_3d']).tolist())
        if self.absent_classes == 'skip':
            evaluated = with_gt
            results = [(ann, _only_labels(pred, with_gt)) for ann, pred in results]
        else:
            evaluated = with_gt | predicted
        classes = self.dataset_meta['classes']
        left_out = [name for i, name in enumerate(classes) if i not in evaluated]
        logger: MMLogger = MMLogger.get_current_instance()
        if not with_gt:
            logger.warning('EPCLIndoorMetric: the evaluation set holds no ground-truth '
                           'box (labels -1 are ignored); every AP is undefined (nan)')
        ret = super().compute_metrics(results)
        if self.absent_classes == 'zero':
            ret.update(_zero_absent(ret, [classes[i] for i in sorted(evaluated)],
                                    [classes[i] for i in sorted(predicted - with_gt)],
                                    self.iou_thr))
        if left_out:
            rule = ('only the classes with ground truth' if self.absent_classes == 'skip'
                    else 'the classes with ground truth or predictions')
            logger.warning(f'EPCLIndoorMetric: {len(left_out)} of {len(classes)} classes '
                           f'have no ground-truth box in this set and are left out of the '
                           f'means ({rule} count): {", ".join(left_out)}')
        ret['classes_left_out'] = left_out
        return ret


def _without_ignored(ann: dict) -> dict:
    """``eval_ann_info`` without its boxes labelled -1 (mmdet3d's "ignore")."""
    labels = np.asarray(ann['gt_labels_3d'])
    keep = labels >= 0
    if keep.all():
        return ann
    ann = dict(ann)
    ann['gt_labels_3d'] = labels[keep]
    ann['gt_bboxes_3d'] = ann['gt_bboxes_3d'][torch.from_numpy(keep)]
    return ann


def _only_labels(pred: dict, labels: Set[int]) -> dict:
    """Predictions (``bboxes_3d``, ``scores_3d``, ``labels_3d``) of the given classes."""
    keep = torch.isin(torch.as_tensor(pred['labels_3d']),
                      torch.tensor(sorted(labels), dtype=torch.long))
    if bool(keep.all()):
        return pred
    pred = dict(pred)
    for key in ('bboxes_3d', 'scores_3d', 'labels_3d'):
        pred[key] = pred[key][keep]
    return pred


def _zero_absent(ret: Dict[str, float], evaluated: List[str], absent: List[str],
                 iou_thr: List[float]) -> Dict[str, float]:
    """3DETR's rule on IndoorMetric's result: AP and recall 0 (not nan) for the classes
    predicted but absent from the ground truth, and the means taken again."""
    out: Dict[str, float] = {}
    for thr in iou_thr:
        for name in absent:
            out[f'{name}_AP_{thr:.2f}'] = 0.0
            out[f'{name}_rec_{thr:.2f}'] = 0.0
        for kind, mean in (('AP', 'mAP'), ('rec', 'mAR')):
            values = [out.get(f'{n}_{kind}_{thr:.2f}', ret[f'{n}_{kind}_{thr:.2f}'])
                      for n in evaluated]
            out[f'{mean}_{thr:.2f}'] = float(np.mean(values)) if values else float('nan')
    return out
