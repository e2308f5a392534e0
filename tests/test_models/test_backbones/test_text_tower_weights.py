"""The open-vocabulary heads read class names through the CLIP text tower built as its
weights were trained: the activation of the tag / exported file, the same identity
checks as the image tower (a local weights file written here, no download)."""
import open_clip
import pytest
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from mmdet3d.utils import register_all_modules

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones import FrozenCLIPBackbone
from epcl_mmdet3d.models.backbones.clip_weights import built_activation, save_clip_file
from epcl_mmdet3d.models.utils import DEFAULT_TEMPLATES

TINY = 'EPCL-ViT-Tiny'
NAMES = ['chair', 'whiteboard']


def _export(tmp_path, activation):
    """Random tiny CLIP weights written as tools/model_converters/export_clip_weights.py
    writes an open_clip tag's (with its activation in the file)."""
    src = FrozenCLIPBackbone(TINY, pretrained=None, with_text=True, activation=activation)
    state = {**src.text.state_dict(),
             **{f'visual.{k}': v for k, v in src.visual.state_dict().items()}}
    path = str(tmp_path / f'tiny_{activation}.pth')
    save_clip_file(state, dict(src.identity(), tag='openai'), path)
    return state, path


def _detector(path):
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='EPCL3DETRDetector', data_preprocessor=dict(type='Det3DDataPreprocessor'),
        backbone=dict(type='EPCLEncoder',
                      tokenizer=dict(type='EPCLTokenizer', num_tokens=32, num_neighbors=8,
                                     in_channels=3),
                      clip=dict(type='FrozenCLIPBackbone', arch=TINY, pretrained=path,
                                with_text=True, embed_dropout=0.0)),
        bbox_head=dict(type='EPCL3DETRHead', num_classes=2, num_queries=8, embed_dims=32,
                       decoder=dict(num_layers=1, num_heads=4, ffn_channels=32),
                       mlp_channels=32,
                       cls_classifier=dict(type='EPCLTextEmbeddingClassifier'))))


def _reference_text(state, quick_gelu):
    """The same weights in a plain open_clip model, prompt-ensembled by hand."""
    model = open_clip.create_model(TINY, pretrained=None, force_quick_gelu=quick_gelu)
    model.load_state_dict(state)
    tokens = open_clip.get_tokenizer(TINY)(
        [t.format(n) for n in NAMES for t in DEFAULT_TEMPLATES])
    with torch.no_grad():
        feats = F.normalize(model.eval().encode_text(tokens).float(), dim=-1)
    return F.normalize(feats.view(len(NAMES), len(DEFAULT_TEMPLATES), -1).mean(1), dim=-1)


def test_text_tower_runs_the_files_activation(tmp_path):
    state, path = _export(tmp_path, 'quick_gelu')
    det = _detector(path)  # no activation in the config: the file says QuickGELU
    clip = det.backbone.clip
    assert clip.activation == 'quick_gelu'
    assert built_activation(clip.text) == built_activation(clip.visual) == 'quick_gelu'
    det.set_class_names(NAMES)
    text = det.bbox_head.cls_classifier.text_embeds
    assert torch.allclose(text, _reference_text(state, quick_gelu=True), atol=1e-6)
    # the activation matters: the same weights run with GELU give other embeddings
    assert not torch.allclose(text, _reference_text(state, quick_gelu=False), atol=1e-3)


def test_slim_checkpoint_keeps_the_text_towers_identity(tmp_path):
    _, quick = _export(tmp_path, 'quick_gelu')
    det = _detector(quick)
    state = det.state_dict()
    assert not [k for k in state if k.startswith('backbone.clip.text.')]
    assert det.backbone.clip.identity()['activation'] == 'quick_gelu'
    _detector(quick).load_state_dict(state)  # the same towers: loads
    # other text-tower weights (same image tower): refused by the identity check
    other_state, _ = _export(tmp_path, 'quick_gelu')
    other_state['token_embedding.weight'] = other_state['token_embedding.weight'] + 1
    other = str(tmp_path / 'other_text.pth')
    save_clip_file(other_state, dict(arch=TINY, activation='quick_gelu', tag='openai'),
                   other)
    with pytest.raises(ValueError, match='this checkpoint was trained on'):
        _detector(other).load_state_dict(state)
    # the same weights under the other activation: refused too
    _, gelu = _export(tmp_path, 'gelu')
    with pytest.raises(ValueError, match='activation quick_gelu.*activation gelu'):
        _detector(gelu).load_state_dict(state)
