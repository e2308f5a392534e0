"""EPCLTextEmbeddingClassifier: scaled cosine to prompt-ensembled CLIP text embeddings of
any class names, cached per name tuple, never in a state dict."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones import FrozenCLIPBackbone
from epcl_mmdet3d.models.utils import DEFAULT_TEMPLATES, encode_class_names

NAMES = ['chair', 'table', 'whiteboard']


@pytest.fixture(scope='module')
def tower():
    return FrozenCLIPBackbone('EPCL-ViT-Tiny', pretrained=None, embed_dropout=0.0,
                              with_text=True)


def _build(tower, **kw):
    torch.manual_seed(0)
    return MODELS.build(dict(type='EPCLTextEmbeddingClassifier', in_channels=8,
                             text_tower=tower, **kw))


def test_logits_are_scaled_cosines_to_the_classifiers_text_embeddings(tower):
    clf = _build(tower, class_names=NAMES)
    x = torch.randn(2, 5, 8)
    text = encode_class_names(tower, NAMES, DEFAULT_TEMPLATES)  # (3, E)
    # the ensembling is EPCLClassifier's: one prompt per template, normalised, averaged
    per_template = F.normalize(tower.encode_text(
        [t.format(n) for n in NAMES for t in DEFAULT_TEMPLATES]), dim=-1)
    assert torch.allclose(text, F.normalize(per_template.view(3, 2, -1).mean(1), dim=-1))
    expected = (1 / 0.07) * F.normalize(clf.proj(x), dim=-1) @ text.t()
    logits = clf(x)
    assert logits.shape == (2, 5, 3)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert float(clf.scale().detach()) == pytest.approx(1 / 0.07, rel=1e-5)


def test_any_number_of_names_and_a_cache_per_name_tuple(tower, monkeypatch):
    clf = _build(tower)
    with pytest.raises(RuntimeError, match='set_class_names'):
        clf(torch.randn(3, 8))
    calls = []
    original = tower.encode_text
    monkeypatch.setattr(tower, 'encode_text', lambda texts: calls.append(texts) or
                        original(texts))
    clf.set_class_names(NAMES)
    clf.set_class_names(['plant', 'lamp'])
    assert clf(torch.randn(3, 8)).shape == (3, 2) and clf.num_classes == 2
    clf.set_class_names(NAMES)  # cached: the text tower is not asked again
    assert len(calls) == 2 and clf.class_names == NAMES


def test_neither_text_embeddings_nor_the_tower_enter_the_state_dict(tower):
    clf = _build(tower, class_names=NAMES)
    assert sorted(clf.state_dict()) == ['logit_scale', 'proj.bias', 'proj.weight']
    assert not any(p is q for p in clf.parameters() for q in tower.parameters())
    other = _build(tower, class_names=['plant'])
    other.load_state_dict(clf.state_dict())  # strict: names are not part of the weights
    assert other.class_names == ['plant']


def test_no_object_logit_gives_name_independent_objectness(tower):
    clf = _build(tower, no_object=True, class_names=NAMES)
    x = torch.randn(4, 8)
    out = clf(x)  # (4, 4) log-probabilities
    assert out.shape == (4, 4)
    assert torch.allclose(out.exp().sum(-1), torch.ones(4), atol=1e-5)
    assert torch.allclose(out.softmax(-1), out.exp(), atol=1e-6)  # softmax reads them back
    objectness = 1 - out.softmax(-1)[:, -1]
    clf.set_class_names(['plant', 'lamp', 'door', 'window', 'bed'])
    renamed = clf(x)
    assert renamed.shape == (4, 6)
    assert torch.allclose(1 - renamed.softmax(-1)[:, -1], objectness)


def test_clip_projection_trains_the_linear_only(tower):
    clf = _build(tower, projection='clip', logit_scale_init='clip', class_names=NAMES)
    assert clf.proj.out_features == tower.embed_dims  # to CLIP's width, then ln_post + proj
    assert float(clf.scale().detach()) == pytest.approx(
        min(100.0, math.exp(float(tower.text.logit_scale))), rel=1e-5)
    clf(torch.randn(6, 8)).sum().backward()
    assert clf.proj.weight.grad is not None
    assert tower.visual.proj.grad is None and not tower.visual.proj.requires_grad


def test_errors_name_the_fix():
    plain = FrozenCLIPBackbone('EPCL-ViT-Tiny', pretrained=None)
    with pytest.raises(ValueError, match='with_text=True'):
        _build(plain)
    tower = FrozenCLIPBackbone('EPCL-ViT-Tiny', pretrained=None, with_text=True)
    with pytest.raises(ValueError, match="'linear' or 'clip'"):
        _build(tower, projection='conv')
    with pytest.raises(ValueError, match="one '{}'"):
        _build(tower, templates=('a {} and a {}',), class_names=NAMES)
