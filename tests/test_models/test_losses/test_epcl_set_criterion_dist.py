"""The box-count normaliser across processes: 2 CPU processes (gloo) give, averaged as
DDP averages gradients, the losses of one process holding every scene (3DETR's rule)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from epcl_mmdet3d.models.losses.box_count import mean_box_count

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(osp.dirname(HERE)))
sys.path.insert(0, HERE)
from _box_count_worker import SCENE_BOXES, criterion, make_batch  # noqa: E402

BOX_LOSSES = ('loss_giou', 'loss_center', 'loss_size', 'loss_angle_cls', 'loss_angle_reg')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_alone_the_count_itself():
    assert mean_box_count(5, torch.device('cpu')) == 5.0
    assert mean_box_count(0, torch.device('cpu')) == 1.0  # a batch without boxes


def test_two_processes_give_the_single_process_box_losses(tmp_path):
    port = _free_port()
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    outs = [str(tmp_path / f'rank{r}.pth') for r in range(2)]
    procs = [subprocess.Popen([sys.executable, osp.join(HERE, '_box_count_worker.py'),
                               str(r), '2', str(port), outs[r]], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(2)]
    for proc in procs:
        log, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, log[-3000:]
    ranks = [torch.load(out) for out in outs]

    preds, targets = make_batch()
    single = criterion()(preds, targets)  # one process, all four scenes
    for key in BOX_LOSSES:  # DDP averages the ranks' gradients: compare the mean loss
        mean = (ranks[0][key] + ranks[1][key]) / 2
        assert mean == pytest.approx(float(single[key]), rel=1e-6), key
    # the check can fail: each rank dividing by its own count (4 and 2 boxes) differs
    half = len(SCENE_BOXES) // 2
    local = [criterion()({k: v[s] for k, v in preds.items()}, targets[s])
             for s in (slice(0, half), slice(half, None))]
    own = (float(local[0]['loss_center']) + float(local[1]['loss_center'])) / 2
    assert own != pytest.approx(float(single['loss_center']), rel=1e-3)
