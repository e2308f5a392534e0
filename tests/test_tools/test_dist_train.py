"""tools/dist_train.sh and tools/dist_test.sh: the tiny detector in 2 CPU processes (gloo)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(script, args, tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PORT=str(_free_port()),
               PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', script), *args], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_two_process_training_keeps_ranks_in_step(tmp_path, tiny_clip_checkpoint):
    data = str(tmp_path / 'data')
    create_synthetic_scannet(data, num_train=8, num_val=2, num_points=3000, seed=1)
    out = tmp_path / 'snap'
    out.mkdir()
    config = tmp_path / 'ddp_tiny_det.py'
    config.write_text(f"""
_base_ = [{osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')!r}]
custom_imports = dict(imports=['epcl_mmdet3d', 'rank_snapshot_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RankSnapshotHook', out_dir={str(out)!r})]
num_points = 1024
model = dict(backbone=dict(
    tokenizer=dict(num_tokens=32, num_neighbors=8),
    clip=dict(pretrained={tiny_clip_checkpoint!r})),
    bbox_head=dict(num_queries=16))
train_dataloader = dict(batch_size=2, dataset=dict(dataset=dict(data_root={data!r})))
val_dataloader = dict(batch_size=1, dataset=dict(data_root={data!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
""")
    work = str(tmp_path / 'work')
    _run('dist_train.sh', [str(config), '2', '--work-dir', work, '--cfg-options',
                           'train_dataloader.dataset.dataset.pipeline.3.min_points=1500',
                           'train_dataloader.dataset.dataset.pipeline.4.num_points=1024',
                           'val_dataloader.dataset.pipeline.2.num_points=1024'], tmp_path)

    snaps = {(when, rank): torch.load(out / f'{when}_rank{rank}.pth')
             for when in ('before', 'after') for rank in (0, 1)}
    after0, after1 = snaps['after', 0], snaps['after', 1]
    assert after0['world_size'] == 2 and after0['wrapper'] == 'MMDistributedDataParallel'
    # each rank trained on its own half of the 8 rooms: 2 epochs x 2 batches of 2
    assert len(after0['seen']) == len(after1['seen']) == 8
    assert set(after0['seen'][:4]).isdisjoint(after1['seen'][:4])
    trainable = after0['trainable']
    assert trainable and trainable == after1['trainable']
    for name in trainable:  # gradients were averaged: the ranks stayed bit-identical
        assert torch.equal(after0['params'][name], after1['params'][name]), name
    moved = [n for n in trainable
             if not torch.equal(snaps['before', 0]['params'][n], after0['params'][n])]
    assert len(moved) > len(trainable) // 2  # and they did train
    clip = torch.load(tiny_clip_checkpoint)
    frozen = [n for n in after0['params'] if n not in trainable]
    assert frozen
    for name in frozen:  # the frozen tower is the file's, on every rank
        key = name.split('backbone.clip.', 1)[1]
        for rank in (0, 1):
            assert torch.equal(snaps['after', rank]['params'][name], clip[key]), name

    checkpoint = osp.join(work, 'epoch_2.pth')
    log = _run('dist_test.sh', [str(config), checkpoint, '2', '--work-dir',
                                str(tmp_path / 'test'), '--cfg-options',
                                'test_dataloader.dataset.pipeline.2.num_points=1024'],
               tmp_path)
    assert 'mAP_0.25' in log
