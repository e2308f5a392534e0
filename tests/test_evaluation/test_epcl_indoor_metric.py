"""EPCLIndoorMetric against mmdet3d's IndoorMetric and a hand computation, on two scenes
where class 'c' has predictions but no ground-truth box."""
import math

import numpy as np
import pytest
import torch
from mmdet3d.registry import METRICS
from mmdet3d.structures import DepthInstance3DBoxes

import epcl_mmdet3d  # noqa: F401

CLASSES = ('a', 'b', 'c')
A0, B0, A1 = [1, 1, 0, 1, 1, 1, 0], [3, 1, 0, 1, 1, 1, 0], [2, 2, 0, 1, 1, 1, 0]
ELSEWHERE = [6, 6, 0, 1, 1, 1, 0]


def _boxes(rows):
    return DepthInstance3DBoxes(torch.tensor(rows, dtype=torch.float32).reshape(-1, 7))


def _scene(gt, pred):
    """gt: [(box, label)], pred: [(box, label, score)] -> one IndoorMetric data sample."""
    return dict(
        eval_ann_info=dict(gt_bboxes_3d=_boxes([b for b, _ in gt]),
                           gt_labels_3d=np.array([c for _, c in gt], dtype=np.int64)),
        pred_instances_3d=dict(bboxes_3d=_boxes([b for b, _, _ in pred]),
                               labels_3d=torch.tensor([c for _, c, _ in pred]),
                               scores_3d=torch.tensor([s for _, _, s in pred])))


def _two_scenes(ignored=()):
    """Scene 0: boxes a, b; scene 1: box a (+ ``ignored`` boxes labelled -1). Class c
    has no box but two predictions. Predictions on exact boxes are true positives."""
    return [
        _scene([(A0, 0), (B0, 1)],
               [(A0, 0, 0.9), (ELSEWHERE, 0, 0.8), (B0, 1, 0.7), (A0, 2, 0.6)]),
        _scene([(A1, 0)] + [(box, -1) for box in ignored],
               [(A1, 0, 0.5), (A1, 2, 0.4)]),
    ]


def _evaluate(samples, **kwargs):
    metric = METRICS.build(kwargs)
    metric.dataset_meta = dict(classes=CLASSES, box_type_3d='depth')
    metric.process({}, samples)
    return metric.evaluate(len(samples))


# by hand, at both IoU thresholds (the true positives overlap exactly, the rest not):
# a: scores 0.9 TP, 0.8 FP, 0.5 TP of 2 boxes -> recall .5 .5 1, precision 1 .5 2/3,
#    AP = 0.5 x 1 + 0.5 x 2/3 = 5/6; b: one TP of 1 box -> AP 1; c: no box.
AP_A, AP_B = 5 / 6, 1.0


def test_indoor_metric_gives_nan_where_a_class_has_no_box():
    ret = _evaluate(_two_scenes(), type='IndoorMetric')
    assert math.isnan(ret['mAP_0.25']) and math.isnan(ret['c_AP_0.25'])
    assert ret['a_AP_0.25'] == pytest.approx(AP_A)


@pytest.mark.parametrize('thr', ['0.25', '0.50'])
def test_mean_over_the_classes_with_boxes(thr):
    ret = _evaluate(_two_scenes(), type='EPCLIndoorMetric')
    assert ret[f'mAP_{thr}'] == pytest.approx((AP_A + AP_B) / 2)
    assert ret[f'a_AP_{thr}'] == pytest.approx(AP_A) and ret[f'b_AP_{thr}'] == 1.0
    assert ret[f'mAR_{thr}'] == pytest.approx(1.0)
    assert ret['classes_left_out'] == ['c'] and f'c_AP_{thr}' not in ret


def test_zero_rule_of_3detr():
    ret = _evaluate(_two_scenes(), type='EPCLIndoorMetric', absent_classes='zero')
    assert ret['mAP_0.25'] == pytest.approx((AP_A + AP_B + 0.0) / 3)
    assert ret['c_AP_0.25'] == 0.0 and ret['c_rec_0.25'] == 0.0
    assert ret['mAR_0.25'] == pytest.approx(2 / 3)
    assert ret['classes_left_out'] == []


def test_same_as_indoor_metric_when_every_class_has_a_box():
    scenes = _two_scenes()
    scenes[1] = _scene([(A1, 0), (ELSEWHERE, 2)], [(A1, 0, 0.5), (A1, 2, 0.4)])
    ours = _evaluate(scenes, type='EPCLIndoorMetric')
    reference = _evaluate(_two_scenes_with(scenes), type='IndoorMetric')
    assert ours.pop('classes_left_out') == []
    assert ours == reference


def test_boxes_labelled_minus_one_are_ignored():
    ours = _evaluate(_two_scenes(ignored=[B0, ELSEWHERE]), type='EPCLIndoorMetric')
    assert ours == _evaluate(_two_scenes(), type='EPCLIndoorMetric')
    # IndoorMetric reads -1 as classes[-1] ('c') and evaluates those boxes as c's
    theirs = _evaluate(_two_scenes(ignored=[B0, ELSEWHERE]), type='IndoorMetric')
    assert not math.isnan(theirs['c_AP_0.25'])


def test_unknown_rule():
    with pytest.raises(ValueError, match="absent_classes must be 'skip'"):
        METRICS.build(dict(type='EPCLIndoorMetric', absent_classes='nan'))


def _two_scenes_with(scenes):
    """A fresh copy (IndoorMetric keeps references to what it processed)."""
    return [dict(eval_ann_info=dict(s['eval_ann_info']),
                 pred_instances_3d=dict(s['pred_instances_3d'])) for s in scenes]
