"""tools/train.py --auto-scale-lr: mmengine scales a config's lr by the real batch."""
import os.path as osp

import pytest
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')


def _learning_rates(load_tool, tmp_path, tiny_clip_checkpoint, *flags):
    train = load_tool('train')
    cfg = train.build_cfg(train.parse_args([
        CONFIG, '--work-dir', str(tmp_path), *flags, '--cfg-options',
        f'model.backbone.clip.pretrained={tiny_clip_checkpoint}',
        'train_dataloader.batch_size=8']))  # a quarter of the config's 32
    runner = Runner.from_cfg(cfg)
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(wrapper, runner.auto_scale_lr)  # what Runner.train() does next
    return cfg.optim_wrapper.optimizer.lr, [g['lr'] for g in wrapper.optimizer.param_groups]


def test_lr_scaled_by_real_over_base_batch(load_tool, tmp_path, tiny_clip_checkpoint):
    base_lr, lrs = _learning_rates(load_tool, tmp_path, tiny_clip_checkpoint,
                                   '--auto-scale-lr')
    assert lrs and all(lr == pytest.approx(base_lr * 8 / 32) for lr in lrs)


def test_lr_untouched_without_the_flag(load_tool, tmp_path, tiny_clip_checkpoint):
    base_lr, lrs = _learning_rates(load_tool, tmp_path, tiny_clip_checkpoint)
    assert lrs and all(lr == pytest.approx(base_lr) for lr in lrs)
