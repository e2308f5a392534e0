"""EPCLFrozenWeightsCheckHook on a real Runner: silent while CLIP is intact, names a change."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine.hooks import EPCLFrozenWeightsCheckHook
from epcl_mmdet3d.engine.hooks.epcl_frozen_weights_check_hook import frozen_tower_tensors

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture
def runner(tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py'))
    cfg.work_dir = str(tmp_path / 'work')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
                'val_cfg', 'test_cfg', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
                'test_evaluator'):
        cfg.pop(key, None)
    return Runner.from_cfg(cfg)


def test_on_by_default_in_our_configs(runner):
    assert any(isinstance(h, EPCLFrozenWeightsCheckHook) for h in runner.hooks)


def test_fingerprint_covers_image_and_text_towers(runner):
    names = list(frozen_tower_tensors(runner.model))
    assert any(n.startswith('backbone.clip.visual.') for n in names)
    assert any(n.startswith('backbone.clip.text.') for n in names)
    assert not any('tokenizer' in n or 'head' in n for n in names)


@pytest.mark.parametrize('algorithm', ['crc32', 'sha256'])
def test_a_changed_frozen_tensor_is_named(runner, algorithm):
    hook = EPCLFrozenWeightsCheckHook(algorithm=algorithm)
    hook.before_train(runner)
    hook.before_save_checkpoint(runner, {})  # intact: silent
    hook.after_train(runner)
    # a trainable weight may change freely
    with torch.no_grad():
        runner.model.backbone.tokenizer.parameters().__next__().add_(1.0)
    hook.after_train(runner)
    name = 'backbone.clip.visual.transformer.resblocks.1.attn.out_proj.weight'
    with torch.no_grad():
        dict(runner.model.named_parameters())[name][0, 0] += 1e-6
    with pytest.raises(RuntimeError, match=r'(?s)checkpoint save.*' + name.replace('.', r'\.')):
        hook.before_save_checkpoint(runner, {})
    with pytest.raises(RuntimeError, match='end of training'):
        hook.after_train(runner)
    assert hook.last_check_seconds is not None


def test_periodic_check_and_bad_argument(runner):
    with pytest.raises(ValueError, match='>= 0'):
        EPCLFrozenWeightsCheckHook(check_every_n_iters=-1)
    with pytest.raises(ValueError, match="'sha256' or 'crc32'"):
        EPCLFrozenWeightsCheckHook(algorithm='md5')
    hook = EPCLFrozenWeightsCheckHook(check_every_n_iters=1)
    hook.before_train(runner)
    with torch.no_grad():
        runner.model.backbone.clip.text.text_projection.mul_(2)
    with pytest.raises(RuntimeError, match=r'iteration \d+.*text_projection'):
        hook.after_train_iter(runner, 0)
