"""Straight training vs interrupted + --resume on the shipped detection demo config."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet
from epcl_mmdet3d.engine.checkpointing import EPCLRandomStateHook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')


class _Interrupted(Exception):
    pass


class _Record(Hook):
    """Records every training loss; optionally dies right after a given epoch's checkpoint."""

    priority = 'LOWEST'  # after CheckpointHook has written the epoch's checkpoint

    def __init__(self, die_after_epoch=None):
        self.losses = []
        self.die_after_epoch = die_after_epoch

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append((runner.iter, float(outputs['loss'])))

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.die_after_epoch:
            raise _Interrupted


def _train(train_tool, work_dir, data_root, hook, resume=False, random_state_hook=True):
    opts = [
        # tiny scale: 4 rooms of 2000 points, batch 2, 2 epochs, validation every epoch
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=1',
        'train_dataloader.batch_size=2', 'val_dataloader.batch_size=1',
        'train_dataloader.dataset.dataset.pipeline.3.min_points=1200',  # cuboid crop
        'train_dataloader.dataset.dataset.pipeline.4.num_points=512',  # PointSample
        'val_dataloader.dataset.pipeline.2.num_points=512',
        'model.backbone.tokenizer.num_tokens=32', 'model.backbone.tokenizer.num_neighbors=8',
        'model.bbox_head.num_queries=16', 'model.bbox_head.decoder.num_layers=1',
        'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}']
    args = [CONFIG, '--work-dir', str(work_dir), '--cfg-options', *opts]
    if resume:
        args.insert(1, '--resume')
    runner = RUNNERS.build(train_tool.build_cfg(train_tool.parse_args(args)))  # EPCLRunner
    if not random_state_hook:
        runner._hooks = [h for h in runner._hooks if not isinstance(h, EPCLRandomStateHook)]
    runner.register_hook(hook)
    try:
        runner.train()
    except _Interrupted:
        pass
    return hook.losses


def _state(path):
    return torch.load(path, map_location='cpu')


@pytest.mark.slow
def test_interrupted_and_resumed_equals_straight(tmp_path, load_tool):
    data_root = str(tmp_path / 'rooms')
    create_synthetic_scannet(data_root, num_train=4, num_val=1, num_points=2000)
    train = load_tool('train')

    straight = _train(train, tmp_path / 'straight', data_root, _Record())
    first = _train(train, tmp_path / 'cut', data_root, _Record(die_after_epoch=1))
    assert osp.exists(tmp_path / 'cut' / 'epoch_1.pth')
    assert not osp.exists(tmp_path / 'cut' / 'epoch_2.pth')
    resumed = _train(train, tmp_path / 'cut', data_root, _Record(), resume=True)

    assert len(straight) == 4 and first == straight[:2]
    assert resumed == straight[2:]  # the same losses, bit for bit
    a = _state(tmp_path / 'straight' / 'epoch_2.pth')
    b = _state(tmp_path / 'cut' / 'epoch_2.pth')
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for p_a, p_b in zip(a['optimizer']['state'].values(), b['optimizer']['state'].values()):
        for key in p_a:
            assert torch.equal(p_a[key], p_b[key])

    # the control: without the saved random states the resumed run departs at once
    _train(train, tmp_path / 'cut2', data_root, _Record(die_after_epoch=1))
    drifted = _train(train, tmp_path / 'cut2', data_root, _Record(), resume=True,
                     random_state_hook=False)
    assert drifted != straight[2:]
