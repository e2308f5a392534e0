"""EPCLClassifier on tiny inputs: losses, backward, predictions, text buffer, zero-shot."""
import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from mmengine.structures import LabelData

import epcl_mmdet3d  # noqa: F401

NAMES = ['sphere', 'cube', 'torus']


def _model_cfg(encoder_cfg, text_align=True, **kwargs):
    encoder_cfg['clip']['with_text'] = True
    cfg = dict(type='EPCLClassifier', backbone=encoder_cfg, num_classes=3,
               class_names=NAMES, head=dict(hidden_channels=(16, 16)))
    if text_align:
        cfg['text_align'] = dict(templates=['a {}.', 'a point cloud of a {}.'])
    cfg.update(kwargs)
    return cfg


def _batch(batch_size=4, num_points=64, labels=(0, 1, 2, 1)):
    torch.manual_seed(0)
    points = torch.randn(batch_size, num_points, 3)
    samples = []
    for label in labels[:batch_size]:
        s = Det3DDataSample()
        s.gt_label = LabelData(label=torch.tensor([label]))
        samples.append(s)
    return points, samples


def test_loss_and_backward_reach_only_trainable_parts(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg))
    model.train()
    points, samples = _batch()
    losses = model(dict(points=points), samples, mode='loss')
    assert set(losses) >= {'loss_cls', 'loss_text', 'acc', 'logit_scale'}
    total = losses['loss_cls'] + losses['loss_text']
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.tokenizer.parameters().__next__().grad is not None
    assert model.text_align.logit_scale.grad is not None
    assert all(p.grad is None for p in model.clip.parameters())
    # ln(3) at initialisation is the scale of an untrained 3-class CE
    assert 0.1 < losses['loss_cls'].item() < 5


def test_text_embeddings_are_a_fixed_prompt_ensemble(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg))
    text = model.text_align.text_embeds
    assert text.shape == (3, model.clip.proj_dims)
    torch.testing.assert_close(text.norm(dim=-1), torch.ones(3))
    # by hand: normalise each template's embedding, average, normalise
    raw = model.clip.encode_text(['a sphere.', 'a point cloud of a sphere.'])
    expected = torch.nn.functional.normalize(
        torch.nn.functional.normalize(raw, dim=-1).mean(0), dim=0)
    torch.testing.assert_close(text[0], expected)
    assert 'text_align.text_embeds' in model.state_dict()
    assert not text.requires_grad
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert not any('text_embeds' in n for n in names)
    # not recomputed per step: a training step leaves the buffer untouched
    before = text.clone()
    points, samples = _batch()
    model.train()
    model(dict(points=points), samples, mode='loss')['loss_text'].backward()
    torch.testing.assert_close(model.text_align.text_embeds, before)


def test_predict_sets_pred_label(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg)).eval()
    points, samples = _batch()
    with torch.no_grad():
        out = model(dict(points=points), samples, mode='predict')
        logits = model(dict(points=points), mode='tensor')
    assert len(out) == 4 and logits.shape == (4, 3)
    for sample, row in zip(out, logits):
        assert sample.pred_label.score.shape == (3,)
        torch.testing.assert_close(sample.pred_label.score.sum(), torch.tensor(1.0))
        assert sample.pred_label.label.item() == row.argmax().item()
    # a sample's prediction does not depend on the rest of the batch (eval mode)
    with torch.no_grad():
        alone = model(dict(points=points[:1]), mode='tensor')
    torch.testing.assert_close(alone[0], logits[0], atol=1e-4, rtol=1e-4)


def test_text_logits_and_open_vocabulary(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg, test_cfg=dict(logits='text'))).eval()
    points, _ = _batch()
    with torch.no_grad():
        out = model.predict(points)
        scores = model.predict_open_vocab(points, NAMES)
        other = model.predict_open_vocab(points, ['chair', 'airplane', 'lamp', 'cup'])
    # open vocabulary over the training names equals the stored-text prediction
    torch.testing.assert_close(torch.stack([s.pred_label.score for s in out]), scores)
    assert other.shape == (4, 4)


def test_alignment_switched_off_and_bad_configs(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg, text_align=False)).train()
    points, samples = _batch()
    losses = model(dict(points=points), samples, mode='loss')
    assert 'loss_text' not in losses and model.text_align is None
    with pytest.raises(RuntimeError, match='needs a model built with text_align'):
        model.predict_open_vocab(points, NAMES)
    with pytest.raises(ValueError, match='needs text_align'):
        MODELS.build(_model_cfg(tiny_encoder_cfg, text_align=False,
                                test_cfg=dict(logits='text')))
    with pytest.raises(ValueError, match='2 class_names for num_classes=3'):
        MODELS.build(_model_cfg(tiny_encoder_cfg, class_names=['a', 'b']))
    cfg = _model_cfg(tiny_encoder_cfg)
    cfg['backbone']['clip']['with_text'] = False
    with pytest.raises(ValueError, match='with_text=True'):
        MODELS.build(cfg)


def test_linear_projection_and_fixed_scale(tiny_encoder_cfg):
    cfg = _model_cfg(tiny_encoder_cfg)
    cfg['text_align'].update(projection='linear', learnable_logit_scale=False,
                             logit_scale_init=10.0)
    model = MODELS.build(cfg).train()
    assert 'text_align.logit_scale' not in dict(model.named_parameters())
    points, samples = _batch()
    losses = model(dict(points=points), samples, mode='loss')
    losses['loss_text'].backward()
    assert model.align_proj.weight.grad is not None
    torch.testing.assert_close(losses['logit_scale'], torch.tensor(10.0))


def test_class_names_later_and_preprocessor(tiny_encoder_cfg):
    model = MODELS.build(_model_cfg(tiny_encoder_cfg, class_names=None))
    assert not bool(model.text_align.text_ready)
    with pytest.raises(RuntimeError, match='never set'):
        model.text_align(torch.randn(2, model.clip.proj_dims))
    model.set_class_names(NAMES)
    assert bool(model.text_align.text_ready)
    data = model.data_preprocessor(dict(inputs=dict(points=[torch.randn(64, 3)] * 2)))
    assert data['inputs']['points'].shape == (2, 64, 3)
    with pytest.raises(ValueError, match='different shapes'):
        model.data_preprocessor(dict(inputs=dict(points=[torch.randn(64, 3),
                                                         torch.randn(60, 3)])))
