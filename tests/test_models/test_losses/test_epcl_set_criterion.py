import pytest
import torch

from epcl_mmdet3d.models.losses import EPCLSetCriterion
from epcl_mmdet3d.models.task_modules import EPCL3DETRBoxCoder


def _preds_from_boxes(encode_boxes, boxes, logits, lo, hi):
    """Predictions (1, Q, ...) that decode exactly to ``boxes`` (Q, 6)."""
    coder = EPCL3DETRBoxCoder()
    query = boxes[None, :, :3].clone()
    raw = encode_boxes(coder, boxes[None, :, :3], boxes[None, :, 3:],
                        torch.zeros(1, len(boxes)), query, lo[None], hi[None])
    out = dict(cls_logits=logits[None], **raw)
    out.update(coder.decode(raw['center_raw'], raw['size_raw'], raw['angle_cls'],
                            raw['angle_res_raw'], query, lo[None], hi[None]))
    return out


def _targets(boxes, labels, lo, hi):
    coder = EPCL3DETRBoxCoder()
    tgt = coder.encode_targets(boxes[:, :3], boxes[:, 3:], torch.zeros(len(boxes)), lo, hi)
    tgt['labels'] = labels
    return tgt


def test_perfect_prediction_has_near_zero_box_losses(box_encoder):
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    gt = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0], [4.0, 3.0, 1.0, 1.5, 1.0, 2.0]])
    # three queries: two sit on the gt boxes (in swapped order), one elsewhere
    boxes = torch.cat([gt[[1, 0]], torch.tensor([[3.0, 5.0, 1.0, 0.5, 0.5, 0.5]])])
    logits = torch.full((3, 4), -10.0)
    logits[0, 2] = logits[1, 0] = logits[2, 3] = 10.0  # correct class / no object
    crit = EPCLSetCriterion(num_classes=3)
    losses = crit(_preds_from_boxes(box_encoder, boxes, logits, lo, hi),
                  [_targets(gt, torch.tensor([0, 2]), lo, hi)])
    assert set(losses) == {'loss_cls', 'loss_giou', 'loss_center', 'loss_size',
                           'loss_angle_cls', 'loss_angle_reg'}
    for k in ('loss_cls', 'loss_giou', 'loss_center', 'loss_size', 'loss_angle_reg'):
        assert losses[k] < 1e-3, (k, losses[k])


def test_wrong_prediction_costs_more_and_backprops(box_encoder):
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    gt = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0]])
    boxes = torch.tensor([[1.3, 1.2, 0.7, 0.5, 0.5, 0.5], [4.0, 4.0, 1.0, 1.0, 1.0, 1.0]])
    logits = torch.zeros(2, 3, requires_grad=True)
    preds = _preds_from_boxes(box_encoder, boxes, logits, lo, hi)
    losses = EPCLSetCriterion(num_classes=2)(preds, [_targets(gt, torch.tensor([1]), lo, hi)])
    assert losses['loss_giou'] > 0.1 and losses['loss_center'] > 0
    sum(losses.values()).backward()
    assert logits.grad.abs().sum() > 0


def test_no_object_weight_and_empty_scene(box_encoder):
    lo, hi = torch.zeros(3), torch.ones(3) * 4
    logits = torch.zeros(1, 5, 3, requires_grad=True)
    boxes = torch.tensor([[1.0, 1, 1, 1, 1, 1]] * 5)
    preds = _preds_from_boxes(box_encoder, boxes, logits[0], lo, hi)
    preds['cls_logits'] = logits
    empty = _targets(torch.zeros(0, 6), torch.zeros(0, dtype=torch.long), lo, hi)
    losses = EPCLSetCriterion(num_classes=2)(preds, [empty])
    # all queries target "no object" with uniform logits: CE = log(3)
    torch.testing.assert_close(losses['loss_cls'], torch.log(torch.tensor(3.0)))
    assert losses['loss_giou'] == 0 and losses['loss_center'] == 0
    sum(losses.values()).backward()
    assert torch.isfinite(logits.grad).all()


def test_angle_residual_loss_is_huber():
    # one matched pair, yaw residual error e (in units of pi / A): Huber(delta 1) gives
    # 0.5 e^2 below 1 and e - 0.5 above (3DETR's huber_loss), not |e|
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    gt = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0]])
    tgt = EPCL3DETRBoxCoder(num_angle_bins=4).encode_targets(
        gt[:, :3], gt[:, 3:], torch.zeros(1), lo, hi)
    tgt['labels'] = torch.tensor([0])
    crit = EPCLSetCriterion(num_classes=2, loss_weights=dict(loss_angle_reg=1.0))
    for err, expected in ((0.5, 0.125), (3.0, 2.5)):
        preds = dict(cls_logits=torch.zeros(1, 1, 3), corners=tgt['corners'][None],
                     center_normalized=tgt['center_normalized'][None],
                     size_normalized=tgt['size_normalized'][None],
                     angle_cls=torch.zeros(1, 1, 4),
                     angle_res_raw=torch.full((1, 1, 4), err))
        loss = crit(preds, [tgt])['loss_angle_reg']
        assert loss.item() == pytest.approx(expected)


def test_no_bin_term_without_bin_predictions(box_encoder):
    """With one angle bin the head has no bin classifier; the criterion then logs no bin
    CE (it would be exactly 0) and the same other terms, the residual included."""
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    gt = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0]])
    boxes = torch.tensor([[1.3, 1.2, 0.7, 0.5, 0.5, 0.5], [4.0, 4.0, 1.0, 1.0, 1.0, 1.0]])
    preds = _preds_from_boxes(box_encoder, boxes, torch.zeros(2, 3), lo, hi)
    targets = [_targets(gt, torch.tensor([1]), lo, hi)]
    crit = EPCLSetCriterion(num_classes=2)
    with_yaw = crit(preds, targets)
    no_yaw = crit({k: v for k, v in preds.items() if k != 'angle_cls'}, targets)
    assert set(no_yaw) == {'loss_cls', 'loss_giou', 'loss_center', 'loss_size',
                           'loss_angle_reg'}
    for k, v in no_yaw.items():
        torch.testing.assert_close(v, with_yaw[k])


def test_ignored_boxes_mask_are_matched_and_given_no_loss(box_encoder):
    """ignored_boxes='mask': a box labelled -1 (a novel class) takes a query, and that
    query gets no loss: neither its class, nor "no object", nor a box term."""
    import torch.nn.functional as F
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    gt = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0], [4.0, 3.0, 1.0, 1.5, 1.0, 2.0]])
    labels = torch.tensor([1, -1])  # the second box: a class left out of training
    # query 0 on the labelled box, query 1 on the ignored one (wrongly sized), 2 elsewhere
    boxes = torch.tensor([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0], [4.0, 3.0, 1.0, 1.0, 0.6, 1.0],
                          [3.0, 5.0, 1.0, 0.5, 0.5, 0.5]])
    logits = torch.randn(3, 3, generator=torch.Generator().manual_seed(0))
    preds = _preds_from_boxes(box_encoder, boxes, logits, lo, hi)
    masked = EPCLSetCriterion(num_classes=2, ignored_boxes='mask')(
        preds, [_targets(gt, labels, lo, hi)])
    weight = torch.tensor([1.0, 1.0, 0.25])
    # the class loss of queries 0 (class 1) and 2 ("no object") only
    expected = F.cross_entropy(logits[[0, 2]], torch.tensor([1, 2]), weight=weight)
    assert torch.allclose(masked['loss_cls'], expected)
    # box terms: the labelled pair only, normalised by the one labelled box
    dropped = EPCLSetCriterion(num_classes=2)(preds, [_targets(gt[:1], labels[:1], lo, hi)])
    for key in ('loss_giou', 'loss_center', 'loss_size'):
        assert torch.allclose(masked[key], dropped[key]), key
    # 'drop' (the default, the head removes the box): query 1 is trained as "no object"
    assert torch.allclose(dropped['loss_cls'], F.cross_entropy(
        logits, torch.tensor([1, 2, 2]), weight=weight))
    with pytest.raises(ValueError, match="ignored_boxes='drop'"):
        EPCLSetCriterion(num_classes=2)(preds, [_targets(gt, labels, lo, hi)])
    with pytest.raises(ValueError, match="'drop'.*'mask'"):
        EPCLSetCriterion(num_classes=2, ignored_boxes='skip')
