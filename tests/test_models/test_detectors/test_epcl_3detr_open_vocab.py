"""The 3DETR head's and the segmentation head's open-vocabulary classifier option: the
default (fixed) classifiers are numerically what they were; the text classifier trains,
names any classes, and renaming changes the predicted names, not the boxes."""
import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample

from ._tiny_detector import build_tiny_detector, make_points, make_sample, tiny_detector_cfg

NAMES = ['chair', 'table', 'sofa']


def _samples():
    return [make_sample([[1, 1, 0.5, 0.5, 0.5, 1.0]], [1]),
            make_sample([[2, 2, 0.5, 1, 1, 1]], [0])]


def _points():
    return [make_points(512, 0), make_points(512, 1)]


def test_default_fixed_classifier_is_numerically_unchanged():
    """Figures of the fixed head recorded on the code before the text option existed
    (tiny detector, seed 0): the option must not move the default path by one bit of
    initialisation or computation. They were recorded with the mini-PointNet's plain
    layers, so the tokenizer runs them here (``fused_max=False``); the fused default
    differs by float rounding only."""
    det = build_tiny_detector()
    assert det.bbox_head.cls_classifier is None and not det.open_vocabulary
    assert det.bbox_head.pred_heads['cls_logits'].layers[-1].out_channels == 4  # C + 1
    det.train()
    torch.manual_seed(1)
    fused = det.loss(dict(points=_points()), _samples())
    det = build_tiny_detector()
    det.backbone.tokenizer.encoder.fused_max = False
    det.train()
    torch.manual_seed(1)
    losses = det.loss(dict(points=_points()), _samples())
    assert losses['loss_cls'].item() == pytest.approx(1.3646631240844727, abs=1e-6)
    assert losses['loss_giou'].item() == pytest.approx(1.3024203777313232, abs=1e-6)
    for key in ('loss_cls', 'loss_giou'):
        assert fused[key].item() == pytest.approx(losses[key].item(), abs=1e-5)
    det.eval()
    with torch.no_grad():
        logits = det._forward(dict(points=_points()))['layers'][-1]['cls_logits']
    assert logits.double().sum().item() == pytest.approx(3.4276517555117607, abs=1e-5)
    assert logits[0, 0].tolist() == pytest.approx(
        [-0.1997896283864975, 0.24059532582759857, -0.041421230882406235,
         0.09893543273210526], abs=1e-6)


def test_fixed_classifier_refuses_another_number_of_names():
    det = build_tiny_detector()
    det.set_class_names(['a', 'b', 'c'])  # as many as it has: recorded
    assert det.class_names == ['a', 'b', 'c']
    with pytest.raises(ValueError, match="fixed 3-class classifier.*cls_classifier=dict"):
        det.set_class_names(['chair', 'whiteboard'])


def build_text_detector(**classifier):
    from mmdet3d.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = tiny_detector_cfg()
    cfg['backbone']['clip']['with_text'] = True
    cfg['bbox_head']['cls_classifier'] = dict(type='EPCLTextEmbeddingClassifier',
                                              **classifier)
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.mark.parametrize('projection', ['linear', 'clip'])
def test_text_classifier_trains_and_names_any_classes(projection):
    det = build_text_detector(projection=projection)
    assert det.open_vocabulary
    det.set_class_names(NAMES)
    det.train()
    losses = det.loss(dict(points=_points()), _samples())
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    clf = det.bbox_head.cls_classifier
    assert clf.proj.weight.grad is not None and clf.logit_scale.grad is not None
    assert clf.no_object.weight.grad is not None
    assert all(p.grad is None for p in det.backbone.clip.parameters())
    # five other names: any number, no retraining; the criterion follows the count
    det.set_class_names(['whiteboard', 'plant', 'lamp', 'door', 'window'])
    assert det.bbox_head.num_classes == 5
    assert det.bbox_head.criterion.class_weight.tolist() == [1.0] * 5 + [0.25]
    losses = det.loss(dict(points=_points()), [make_sample([[1, 1, .5, .5, .5, 1]], [4])] * 2)
    assert torch.isfinite(losses['loss_cls'])


def test_renaming_changes_the_names_not_the_boxes():
    det = build_text_detector()
    det.eval()
    det.set_class_names(NAMES)
    inputs = dict(points=_points())
    with torch.no_grad():
        before = det._forward(inputs)['layers'][-1]
        kept = det.predict(inputs, [Det3DDataSample(), Det3DDataSample()])
    det.set_class_names(['whiteboard', 'plant', 'lamp', 'door'])
    with torch.no_grad():
        after = det._forward(inputs)['layers'][-1]
    for key in ('center', 'size', 'angle', 'corners'):  # every query's box
        assert torch.equal(before[key], after[key]), key
    objectness = 1 - before['cls_logits'].softmax(-1)[..., -1]
    assert torch.allclose(objectness, 1 - after['cls_logits'].softmax(-1)[..., -1])
    assert after['cls_logits'].shape[-1] == 5 and before['cls_logits'].shape[-1] == 4
    # a permutation of the names: the same kept boxes and scores, the labels permuted
    order = [2, 0, 1]
    det.set_class_names([NAMES[i] for i in order])
    with torch.no_grad():
        permuted = det.predict(inputs, [Det3DDataSample(), Det3DDataSample()])
    for a, b in zip(kept, permuted):
        a, b = a.pred_instances_3d, b.pred_instances_3d
        assert len(a.labels_3d) > 0
        assert torch.allclose(a.bboxes_3d.tensor, b.bboxes_3d.tensor)
        assert torch.allclose(a.scores_3d, b.scores_3d, atol=1e-6)
        names_a = [NAMES[i] for i in a.labels_3d.tolist()]
        names_b = [NAMES[order[i]] for i in b.labels_3d.tolist()]
        assert names_a == names_b


def test_checkpoints_hold_no_text_embeddings_and_load_under_other_names(tmp_path):
    det = build_text_detector()
    det.set_class_names(NAMES)
    state = det.state_dict()
    assert not [k for k in state if 'text_embeds' in k or '.clip.text.' in k]
    assert 'backbone.clip.clip_identity' in state  # the towers' identity (text included)
    other = build_text_detector()
    other.set_class_names(['plant'])
    other.load_state_dict(state)  # strict
    assert other.class_names == ['plant']
    text_only = build_text_detector()
    assert text_only.backbone.clip.identity()['sha256'] != \
        build_tiny_detector().backbone.clip.identity()['sha256']  # the text tower counts
