"""Segmentation rendering: a PNG with prediction and ground truth side by side."""
import numpy as np
import pytest
import torch

from epcl_mmdet3d.datasets.synthetic import S3DIS_CLASSES, generate_room
from epcl_mmdet3d.visualization import render_seg_comparison

PALETTE = [[(40 * i) % 256, (90 * i) % 256, (150 * i) % 256] for i in range(13)]


def test_writes_a_png(tmp_path):
    room = generate_room(0, density=20)
    gt = room.semantic_mask
    pred = torch.from_numpy(gt.copy())
    pred[::3] = 2
    out = render_seg_comparison(room.points[:, :3], pred, gt, list(S3DIS_CLASSES),
                                PALETTE, str(tmp_path / 'room.png'), max_points=2000)
    data = open(out, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10000
    from matplotlib.image import imread
    img = imread(out)
    assert img.shape[1] > img.shape[0] > 200  # two panels side by side


def test_rejects_mismatched_inputs(tmp_path):
    with pytest.raises(ValueError, match='same length'):
        render_seg_comparison(np.zeros((5, 3)), np.zeros(4), np.zeros(5),
                              list(S3DIS_CLASSES), PALETTE, str(tmp_path / 'x.png'))
    with pytest.raises(ValueError, match='palette'):
        render_seg_comparison(np.zeros((5, 3)), np.zeros(5), np.zeros(5),
                              list(S3DIS_CLASSES), PALETTE[:3], str(tmp_path / 'x.png'))
