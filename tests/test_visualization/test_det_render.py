import os.path as osp
import sys

import numpy as np
import pytest
from mmdet3d.datasets import ScanNetDataset

from epcl_mmdet3d.datasets.synthetic import DEMO_CLASSES, create_synthetic_scannet
from epcl_mmdet3d.visualization import predict_det_scene, render_det_scene

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)), 'test_models'))
from test_detectors._tiny_detector import build_tiny_detector  # noqa: E402


def test_render_writes_png(tmp_path):
    rng = np.random.default_rng(0)
    points = np.hstack([rng.random((500, 3)) * 4, rng.random((500, 3)) * 255])
    boxes = np.array([[1.0, 1.0, 0.5, 0.8, 0.6, 1.0]])
    out = render_det_scene(points, str(tmp_path / 'a.png'), boxes, np.array([0]),
                           np.array([0.9]), boxes + 0.1, np.array([0]), ('chair', ))
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    # no boxes at all is fine too
    render_det_scene(points[:, :3], str(tmp_path / 'b.png'))
    assert osp.getsize(tmp_path / 'b.png') > 1000
    with pytest.raises(ValueError, match=r'\(N, 3 \+ C\)'):
        render_det_scene(np.zeros(5), str(tmp_path / 'c.png'))


def test_predict_and_render_a_dataset_scene(tmp_path):
    create_synthetic_scannet(str(tmp_path), num_train=1, num_val=1, num_points=3000)
    pipeline = [
        dict(type='LoadPointsFromFile', coord_type='DEPTH', load_dim=6, use_dim=[0, 1, 2]),
        dict(type='GlobalAlignment', rotation_axis=2),
        dict(type='PointSample', num_points=512),
        dict(type='Pack3DDetInputs', keys=['points'])]
    model = build_tiny_detector(num_classes=len(DEMO_CLASSES))
    dataset = ScanNetDataset(str(tmp_path), 'scannet_infos_val.pkl', pipeline=pipeline,
                             metainfo=dict(classes=DEMO_CLASSES), test_mode=True,
                             box_type_3d='Depth')
    res = predict_det_scene(model, dataset, 0)
    assert res['points'].shape == (3000, 6)
    assert res['gt_boxes'].shape[1] == 6 and len(res['gt_boxes']) == len(res['gt_labels']) > 0
    assert res['pred_boxes'].shape[1] == 6 and len(res['pred_scores']) == len(res['pred_boxes'])
    # the aligned room sits at z >= 0 (the file holds the unaligned scan)
    assert res['points'][:, 2].min() > -0.05
    render_det_scene(res['points'], str(tmp_path / 'p.png'), res['pred_boxes'],
                     res['pred_labels'], res['pred_scores'], res['gt_boxes'],
                     res['gt_labels'], res['class_names'], score_thr=0.0)
    assert osp.getsize(tmp_path / 'p.png') > 1000
    with pytest.raises(IndexError, match='out of range'):
        predict_det_scene(model, dataset, 5)


def test_titles_say_what_is_drawn_and_boxes_carry_class_and_score():
    from epcl_mmdet3d.visualization.det_render import det_scene_figure
    rng = np.random.default_rng(0)
    points = rng.random((3000, 3)) * 5
    boxes = np.hstack([rng.random((30, 3)) * 5, np.full((30, 3), 0.5)])  # (30, 6)
    scores = np.linspace(0.9, 0.04, 30)
    labels = np.arange(30) % 2
    names = ('chair', 'table')
    # predictions only (a user's scan): no "ground truth" anywhere; the 10 best drawn
    fig = det_scene_figure(points, boxes, labels, scores, class_names=names)
    top, view = fig.axes[0], fig.axes[1]
    assert 'ground truth' not in top.get_title()
    assert 'predicted boxes solid, class + score (10 of 30, the 10 best)' in top.get_title()
    assert [t.get_text() for t in top.texts][:2] == ['chair 0.90', 'table 0.87']
    assert len(top.texts) == 10
    assert '3,000 points' in view.get_title()
    # --score-thr: every box above it; true boxes dashed and named
    fig = det_scene_figure(points, boxes, labels, scores, boxes[:2], np.array([1, 0]),
                           class_names=names, score_thr=0.5)
    top = fig.axes[0]
    assert '(14 of 30, score >= 0.5)' in top.get_title()
    assert 'ground truth dashed white, class (2)' in top.get_title()
    texts = [t.get_text() for t in top.texts]
    assert texts[:2] == ['table', 'chair'] and len(texts) == 2 + 14


def test_full_scene_points_are_the_whole_aligned_file(tmp_path):
    import torch
    from mmdet3d.structures import Det3DDataSample

    from epcl_mmdet3d.visualization import full_scene_points
    scene = np.random.default_rng(0).random((1000, 6)).astype(np.float32)
    scene.tofile(tmp_path / 'scene.bin')
    align = np.eye(4)
    align[2, 3] = 1.0  # GlobalAlignment would lift the room by 1 m
    aligned = scene.copy()
    aligned[:, 2] += 1.0
    sample = Det3DDataSample(metainfo=dict(lidar_path=str(tmp_path / 'scene.bin'),
                                           axis_align_matrix=align))
    batch = torch.from_numpy(aligned[:100, :3])  # what PointSample kept
    full = full_scene_points(sample, batch, load_dim=6)
    assert full.shape == (1000, 6)
    np.testing.assert_allclose(full, aligned, atol=1e-6)
    # points the file does not cover (moved by another transform): the batch is drawn
    assert full_scene_points(sample, batch + 5.0, load_dim=6).shape == (100, 3)
