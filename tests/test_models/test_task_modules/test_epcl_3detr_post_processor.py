"""EPCL3DETRPostProcessor against a plain re-implementation of 3DETR's parse_predictions."""
import numpy as np
import pytest
import torch
from mmdet3d.registry import TASK_UTILS
from scipy.spatial import Delaunay

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)


def _corners(box):
    """(8, 3) corners of a (7,) box: gravity centre, size, yaw counter-clockwise about z."""
    cx, cy, cz, dx, dy, dz, yaw = box
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    local = signs * np.array([dx, dy, dz]) / 2  # (8, 3)
    c, s = np.cos(yaw), np.sin(yaw)
    turned = np.stack([c * local[:, 0] - s * local[:, 1], s * local[:, 0] + c * local[:, 1],
                       local[:, 2]], axis=1)
    return turned + np.array([cx, cy, cz])


def _reference(boxes, sem_prob, obj_prob, points, per_class=True, nms_iou=0.25,
               conf_thresh=0.05, min_points=5):
    """3DETR's parse_predictions for one scene, written out with loops.

    Empty-box removal counts the points inside each box's convex hull (Delaunay, as 3DETR
    does); the NMS repeatedly takes the remaining box with the highest objectness and
    drops the remaining boxes of its arg-max class whose axis-aligned hulls overlap it by
    more than nms_iou; then queries above conf_thresh report every class.

    Returns:
        list of (class, corners (8, 3), score).
    """
    num_q, num_cls = sem_prob.shape
    corners = [_corners(b) for b in boxes]
    nonempty = [(Delaunay(c).find_simplex(points) >= 0).sum() >= min_points for c in corners]
    if not any(nonempty):
        nonempty[int(np.argmax(obj_prob))] = True
    lo = [c.min(0) for c in corners]
    hi = [c.max(0) for c in corners]
    cls = sem_prob.argmax(-1)
    remaining = sorted((j for j in range(num_q) if nonempty[j]), key=lambda j: obj_prob[j])
    picked = set()
    while remaining:
        top = remaining.pop()  # the highest objectness left
        picked.add(top)
        survivors = []
        for j in remaining:
            inter = np.prod(np.maximum(0, np.minimum(hi[top], hi[j]) -
                                       np.maximum(lo[top], lo[j])))
            union = np.prod(hi[top] - lo[top]) + np.prod(hi[j] - lo[j]) - inter
            if cls[j] == cls[top] and inter / union > nms_iou:
                continue
            survivors.append(j)
        remaining = survivors
    out = []
    if per_class:
        for c in range(num_cls):
            out += [(c, corners[j], sem_prob[j, c] * obj_prob[j]) for j in range(num_q)
                    if j in picked and obj_prob[j] > conf_thresh]
    else:
        out = [(int(cls[j]), corners[j], obj_prob[j]) for j in range(num_q)
               if j in picked and obj_prob[j] > conf_thresh]
    return out


def _predictions(seed, num_q=48, num_cls=4, num_points=800):
    rng = np.random.default_rng(seed)
    points = rng.random((num_points, 3)) * [4.0, 4.0, 2.0]
    anchors = rng.random((num_q // 3, 3)) * [4.0, 4.0, 2.0]
    centres = anchors[rng.integers(0, len(anchors), num_q)] + rng.normal(0, 0.15, (num_q, 3))
    sizes = rng.uniform(0.3, 1.5, (num_q, 3))
    yaws = rng.uniform(-np.pi, np.pi, (num_q, 1))
    boxes = np.concatenate([centres, sizes, yaws], axis=1)  # (Q, 7)
    logits = rng.normal(0, 2, (num_q, num_cls))
    sem_prob = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    obj_prob = rng.random(num_q) ** 2  # many below 0.05
    return boxes, sem_prob, obj_prob, points


def _ours(boxes, sem_prob, obj_prob, points, **cfg):
    post = TASK_UTILS.build(dict(type='EPCL3DETRPostProcessor', **cfg))
    out_boxes, scores, labels = post(*(torch.as_tensor(x, dtype=torch.float64)
                                       for x in (boxes, sem_prob, obj_prob, points)))
    return [(int(lab), _corners(b), float(s))
            for b, s, lab in zip(out_boxes.numpy(), scores.numpy(), labels.numpy())]


def _assert_same(ours, ref):
    key = lambda d: (d[0], round(float(d[2]), 12))  # noqa: E731
    ours, ref = sorted(ours, key=key), sorted(ref, key=key)
    assert len(ours) == len(ref)
    for (c1, k1, s1), (c2, k2, s2) in zip(ours, ref):
        assert c1 == c2
        assert s1 == pytest.approx(s2, abs=1e-9)
        np.testing.assert_allclose(k1, k2, atol=1e-9)


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('per_class', [True, False])
def test_matches_3detr_parse_predictions(seed, per_class):
    boxes, sem_prob, obj_prob, points = _predictions(seed)
    ref = _reference(boxes, sem_prob, obj_prob, points, per_class=per_class)
    ours = _ours(boxes, sem_prob, obj_prob, points, per_class_proposal=per_class)
    assert len(ref) > 0
    _assert_same(ours, ref)


def test_every_box_empty_keeps_the_most_object_like_query():
    boxes, sem_prob, obj_prob, points = _predictions(3)
    boxes[:, :3] += 100.0  # every box far from the points
    ref = _reference(boxes, sem_prob, obj_prob, points)
    ours = _ours(boxes, sem_prob, obj_prob, points)
    _assert_same(ours, ref)
    assert len(ours) == sem_prob.shape[1]  # one query, all classes


def test_steps_are_the_documented_ones():
    # two same-class boxes overlapping, one of another class on top, one empty box
    points = np.concatenate([np.random.default_rng(0).random((200, 3)),
                             np.random.default_rng(1).random((200, 3)) + [3, 0, 0]])
    boxes = np.array([[0.5, 0.5, 0.5, 1, 1, 1, 0], [0.55, 0.5, 0.5, 1, 1, 1, 0],
                      [0.5, 0.5, 0.5, 1, 1, 1, 0], [3.5, 0.5, 0.5, 1, 1, 1, 0],
                      [8.0, 8.0, 8.0, 1, 1, 1, 0]])
    sem_prob = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]])
    obj_prob = np.array([0.9, 0.8, 0.7, 0.04, 0.95])
    out = _ours(boxes, sem_prob, obj_prob, points)
    # query 1 suppressed by 0 (same class), query 2 kept (other class), query 3 below
    # the objectness threshold, query 4 empty: queries 0 and 2, each with both classes
    scores = sorted(s for _, _, s in out)
    assert scores == pytest.approx(sorted([0.81, 0.09, 0.21, 0.49]))


def test_bad_arguments():
    with pytest.raises(ValueError, match='nms_iou_thr'):
        TASK_UTILS.build(dict(type='EPCL3DETRPostProcessor', nms_iou_thr=1.5))
    post = TASK_UTILS.build(dict(type='EPCL3DETRPostProcessor'))
    with pytest.raises(ValueError, match='expected boxes'):
        post(torch.zeros(4, 6), torch.zeros(4, 2), torch.zeros(4), torch.zeros(10, 3))
