import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import DepthInstance3DBoxes

from ._tiny_detector import build_tiny_detector, make_points, make_sample, tiny_detector_cfg

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
    # one angle bin (the tiny detector's, as ScanNet's): no bin CE (it would be exactly
    # 0), the residual loss as 3DETR trains it
    names = ('loss_cls', 'loss_giou', 'loss_center', 'loss_size', 'loss_angle_reg')
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
    model.bbox_head.post_processor.objectness_thr = 1.0  # objectness never exceeds 1
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


def test_head_is_3detr_shaped():
    head = build_tiny_detector().bbox_head
    # projection: LayerNorm on CLIP's outputs, then 3 x (1x1 conv without bias, BN, ReLU)
    assert isinstance(head.in_norm, torch.nn.LayerNorm)
    kinds = [type(m).__name__ for m in head.memory_proj.layers]
    assert kinds == ['Conv1d', 'BatchNorm1d', 'ReLU'] * 3
    assert all(m.bias is None for m in head.memory_proj.layers
               if isinstance(m, torch.nn.Conv1d))
    # prediction MLPs: (conv, BN, ReLU, dropout) x 2, then a biased conv
    for mlp in head.pred_heads.values():
        kinds = [type(m).__name__ for m in mlp.layers]
        assert kinds == ['Conv1d', 'BatchNorm1d', 'ReLU', 'Dropout'] * 2 + ['Conv1d']
        assert mlp.layers[-1].bias is not None


def test_old_score_threshold_key_has_a_clear_error():
    cfg = build_tiny_detector().bbox_head
    with pytest.raises(ValueError, match='objectness_thr'):
        MODELS.build(dict(type='EPCL3DETRHead', in_channels=32, num_classes=3,
                          num_queries=8, embed_dims=32, test_cfg=dict(score_thr=0.05)))
    assert cfg.post_processor.min_points_in_box == 5  # 3DETR's default kept


def test_yawed_head_predicts_yawed_boxes():
    cfg = tiny_detector_cfg()
    cfg['bbox_head']['box_coder'] = dict(type='EPCL3DETRBoxCoder', num_angle_bins=12)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    inputs, samples = _batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    boxes = out[0].pred_instances_3d.bboxes_3d
    assert boxes.with_yaw and len(boxes) > 0
    assert (boxes.yaw.abs() <= torch.pi + 1e-6).all() and (boxes.yaw != 0).any()


@pytest.mark.parametrize('num_bins', [1, 12])
def test_yaw_bin_loss_and_head_only_with_more_than_one_bin(num_bins):
    cfg = tiny_detector_cfg()
    cfg['bbox_head']['box_coder'] = dict(type='EPCL3DETRBoxCoder', num_angle_bins=num_bins)
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    bin_terms = {'loss_angle_cls', 'd0.loss_angle_cls'}
    # 3DETR trains the residual with any number of bins (towards 0 with one bin)
    assert {'loss_angle_reg', 'd0.loss_angle_reg'} <= set(losses)
    assert losses['loss_angle_reg'] > 0 and 'angle_res_raw' in model.bbox_head.pred_heads
    if num_bins == 1:  # a CE over one bin is exactly 0: no bin head, no bin term logged
        assert not bin_terms & set(losses)
        assert 'angle_cls' not in model.bbox_head.pred_heads
        layer = model._forward(inputs)['layers'][-1]
        assert 'angle_cls' not in layer and (layer['angle'] == 0).all()
    else:
        assert bin_terms <= set(losses) and 'angle_cls' in model.bbox_head.pred_heads
        assert losses['loss_angle_cls'] > 0
    sum(losses.values()).backward()  # every trainable head weight gets a gradient (DDP)
    assert all(p.grad is not None for p in model.bbox_head.parameters() if p.requires_grad)


def test_decoder_type_is_honoured():
    from epcl_mmdet3d.models.layers import EPCLTransformerDecoder
    cfg = tiny_detector_cfg()
    cfg['bbox_head']['decoder'] = dict(type='EPCLTransformerDecoder', num_layers=2,
                                       num_heads=4, ffn_channels=32, dropout=0.0)
    model = MODELS.build(cfg)
    assert type(model.bbox_head.decoder) is EPCLTransformerDecoder
    assert len(model.bbox_head.decoder.layers) == 2
    cfg['bbox_head']['decoder'] = dict(type='EPCLTransformerDecoderV2', num_layers=2)
    with pytest.raises(ValueError, match=r"decoder type 'EPCLTransformerDecoderV2' is not "
                                         r"registered.*'EPCLTransformerDecoder'"):
        MODELS.build(cfg)
    cfg['bbox_head']['decoder'] = dict(num_layers=2, embed_dims=16)
    with pytest.raises(ValueError, match=r'decoder.embed_dims \(16\) differs'):
        MODELS.build(cfg)
