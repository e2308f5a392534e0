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


@pytest.mark.parametrize('side', ['pred', 'gt'])
def test_one_panel_when_one_side_is_missing(tmp_path, side):
    room = generate_room(0, density=20)
    labels = room.semantic_mask
    pred, gt = (labels, None) if side == 'pred' else (None, labels)
    out = render_seg_comparison(room.points[:, :3], pred, gt, list(S3DIS_CLASSES), PALETTE,
                                str(tmp_path / 'one.png'), max_points=2000)
    from matplotlib.image import imread
    img = imread(out)
    assert img.shape[0] > 200 and img.shape[1] < 1.5 * img.shape[0]  # one panel
    with pytest.raises(ValueError, match='neither'):
        render_seg_comparison(room.points[:, :3], None, None, list(S3DIS_CLASSES), PALETTE,
                              str(tmp_path / 'none.png'))
