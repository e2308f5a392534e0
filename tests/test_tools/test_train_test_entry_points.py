"""tools/train.py and tools/test.py end to end: train, resume, load_from, test."""
import os
import os.path as osp

import pytest
import torch

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')


@pytest.mark.slow
def test_train_resume_and_test(load_tool, tmp_path, tiny_clip_checkpoint, capsys):
    root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(root, train_per_class=4, test_per_class=2, num_points=128,
                             classes=['sphere', 'cube', 'cone'])
    work = str(tmp_path / 'work')
    opts = [f'model.backbone.clip.pretrained={tiny_clip_checkpoint}',
            'model.backbone.tokenizer.num_tokens=16', 'model.num_classes=3',
            'model.class_names=[sphere,cube,cone]',
            'param_scheduler.1.T_max=1', 'param_scheduler.1.end=2',
            'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=3']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{key}.dataset.data_root={root}',
                 f'{key}.dataset.pipeline.0.num_points=128', f'{key}.batch_size=4']
    train = load_tool('train')
    train.main([CONFIG, '--work-dir', work, '--cfg-options', 'train_cfg.max_epochs=1',
                'train_cfg.val_interval=1', *opts])
    first = osp.join(work, 'epoch_1.pth')
    first_mtime = os.stat(first).st_mtime_ns

    # --resume with no path continues from the work dir's latest checkpoint
    train.main([CONFIG, '--work-dir', work, '--resume', '--cfg-options',
                'train_cfg.max_epochs=2', 'train_cfg.val_interval=1', *opts])
    second = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu')
    assert second['meta']['epoch'] == 2
    assert os.stat(first).st_mtime_ns == first_mtime  # epoch 1 was not trained again
    capsys.readouterr()

    load_tool('test').main([CONFIG, osp.join(work, 'epoch_2.pth'), '--work-dir',
                        str(tmp_path / 'test'), '--cfg-options', *opts])
    out = capsys.readouterr().out
    assert 'cls/overall_acc' in out
