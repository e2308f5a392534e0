import pytest
import torch
from mmdet3d.structures import DepthInstance3DBoxes

from ._tiny_detector import build_tiny_detector, make_points, make_sample

BOXES = [[1.0, 1.0, 0.5, 0.8, 0.6, 1.0], [3.0, 2.5, 0.4, 1.2, 0.9, 0.8]]


def _batch():
    points = [make_points(seed=0), make_points(seed=1)]
    samples = [make_sample(BOXES, [0, 2]), make_sample(BOXES[:1], [1])]
    return dict(points=points), samples


def test_loss_keys_finite_and_gradients_reach_trainable_parts():
    model = build_tiny_detector(num_layers=2)
    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    names = ('loss_cls', 'loss_giou', 'loss_center', 'loss_size', 'loss_angle_cls',
             'loss_angle_reg')
    assert set(losses) == set(names) | {f'd0.{n}' for n in names}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    head_grads = [p.grad for p in model.bbox_head.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in head_grads)
    tok_grads = [p.grad for p in model.backbone.tokenizer.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in tok_grads)
    frozen = [p for p in model.backbone.clip.parameters() if not p.requires_grad]
    assert frozen and all(p.grad is None for p in frozen)


def test_predict_fills_depth_boxes():
    model = build_tiny_detector().eval()
    inputs, samples = _batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert len(out) == 2
    for sample in out:
        pred = sample.pred_instances_3d
        assert isinstance(pred.bboxes_3d, DepthInstance3DBoxes)
        # mmdet3d pads a zero yaw column to boxes built with_yaw=False
        assert not pred.bboxes_3d.with_yaw and pred.bboxes_3d.tensor.shape[1] == 7
        assert (pred.bboxes_3d.tensor[:, 6] == 0).all()
        n = len(pred.bboxes_3d)
        assert 0 < n <= 50 and pred.scores_3d.shape == (n, ) == pred.labels_3d.shape
        assert (pred.scores_3d >= 0).all() and (pred.scores_3d <= 1).all()
        assert pred.labels_3d.max() < 3
        # bottom centre = gravity centre - half height
        t = pred.bboxes_3d.tensor
        torch.testing.assert_close(pred.bboxes_3d.gravity_center[:, 2], t[:, 2] + t[:, 5] / 2)


def test_scene_without_boxes_and_degenerate_scene():
    model = build_tiny_detector()
    model.train()
    points = [make_points(seed=0), torch.ones(512, 3)]  # the second: all points equal
    samples = [make_sample(torch.zeros(0, 6), []), make_sample(torch.zeros(0, 6), [])]
    losses = model.loss(dict(points=points), samples)
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_giou'] == 0
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        out = model.predict(dict(points=points), samples)
    assert all(torch.isfinite(s.pred_instances_3d.bboxes_3d.tensor).all() for s in out)


def test_high_threshold_gives_empty_predictions():
    model = build_tiny_detector().eval()
    model.bbox_head.test_cfg['score_thr'] = 1.1
    inputs, samples = _batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert all(len(s.pred_instances_3d.bboxes_3d) == 0 for s in out)
    assert out[0].pred_instances_3d.bboxes_3d.tensor.shape == (0, 7)


def test_scenes_are_independent_in_a_batch():
    model = build_tiny_detector().eval()
    p0, p1 = make_points(seed=0), make_points(seed=1)
    with torch.no_grad():
        a = model._forward(dict(points=[p0, p1]))['layers'][-1]['cls_logits'][0]
        b = model._forward(dict(points=[p0, make_points(seed=7)]))['layers'][-1][
            'cls_logits'][0]
    torch.testing.assert_close(a, b)


def test_bad_inputs_have_clear_errors():
    model = build_tiny_detector().eval()
    with pytest.raises(ValueError, match='PointSample'):
        model.extract_feat(dict(points=[make_points(512), make_points(400)]))
    with pytest.raises(ValueError, match='no points'):
        model.extract_feat(dict(points=[torch.zeros(0, 3)]))
    with pytest.raises(ValueError):  # fewer points than tokens: the tokenizer says so
        model.extract_feat(dict(points=[make_points(10)]))
    model.bbox_head.num_queries = 10 ** 4
    with pytest.raises(ValueError, match='num_queries'):
        model._forward(dict(points=[make_points(512)]))
