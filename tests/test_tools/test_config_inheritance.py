"""A user's config inherits ours through mmengine's ``'epcl_mmdet3d::'`` paths (task
configs at the top of configs/ and _base_ files alike) and builds from mmdet3d's
registries, in a source checkout / editable install (no ``.mim``) as in a wheel (the
wheel case: tests/test_packaging)."""
import textwrap

import pytest
import torch
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401  (wraps mmengine's resolver of '::' paths)
from epcl_mmdet3d.utils import resolve_config


def _write(tmp_path, text):
    path = tmp_path / 'my_config.py'
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_a_task_config_at_the_top_of_configs_is_inherited_and_builds(tmp_path):
    """mmengine's own parser wants a folder after '::' and a .mim/model-index.yml."""
    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(_write(tmp_path, """
        _base_ = ['epcl_mmdet3d::epcl_scannet_det_demo.py']
        model = dict(backbone=dict(tokenizer=dict(num_tokens=16)))
    """))
    assert cfg.runner_type == 'EPCLRunner'
    assert cfg.model.backbone.clip.arch == 'EPCL-ViT-Tiny'
    assert cfg.model.backbone.tokenizer.num_tokens == 16
    # our modules live in mmdet3d's registries: inherited dicts are built there
    assert cfg.model['_scope_'] == 'mmdet3d'
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'EPCL3DETRDetector'


def test_a_base_file_is_inherited_and_its_backbone_builds(tmp_path):
    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(_write(tmp_path, """
        _base_ = ['epcl_mmdet3d::_base_/models/epcl_vit-b16.py',
                  'epcl_mmdet3d::_base_/schedules/epcl_adamw.py']
        model = dict(backbone=dict(
            tokenizer=dict(type='EPCLTokenizer', num_tokens=16, num_neighbors=8,
                           in_channels=3),
            task_token=dict(type='EPCLTaskToken', num_tokens=4),
            clip=dict(arch='EPCL-ViT-Tiny', pretrained=None, embed_dropout=0.0)))
    """))
    assert cfg.optim_wrapper.constructor == 'EPCLOptimWrapperConstructor'
    # the base's dicts carry mmdet3d's scope, not a registry scope that does not exist
    # (the outermost dicts that have a type)
    assert cfg.model.backbone['_scope_'] == cfg.optim_wrapper['_scope_'] == 'mmdet3d'
    encoder = MODELS.build(cfg.model.backbone)
    out = encoder(torch.rand(2, 64, 3))
    assert out['patch_feats'].shape == (2, 16, 64)  # 16 tokens of the tiny CLIP's width


def test_other_packages_paths_still_go_to_mmengine(tmp_path):
    cfg = Config.fromfile(_write(tmp_path, """
        _base_ = ['mmdet3d::_base_/default_runtime.py']
    """))
    assert cfg.default_scope == 'mmdet3d'


def test_an_unknown_shipped_config_names_what_is_there(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config 'nope.py'"):
        Config.fromfile(_write(tmp_path, "_base_ = ['epcl_mmdet3d::nope.py']\n"))
    assert resolve_config('epcl_mmdet3d::epcl_scannet_det_demo.py').endswith(
        'epcl_scannet_det_demo.py')
