import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmdet3d.datasets import SUNRGBDDataset
from mmdet3d.structures import DepthInstance3DBoxes
from mmdet3d.utils import register_all_modules
from mmengine.config import Config
from scipy.spatial import Delaunay

from epcl_mmdet3d.datasets.synthetic import (
    SUNRGBD_CLASSES,
    SUNRGBD_DEMO_CLASSES,
    create_synthetic_sunrgbd,
    make_sunrgbd_scene,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    register_all_modules()
    root = str(tmp_path_factory.mktemp('sunrgbd_like'))
    create_synthetic_sunrgbd(root, num_train=2, num_val=1, num_points=4000, seed=1)
    return root


def test_layout_matches_mmdet3d_converter(data_root):
    with open(osp.join(data_root, 'sunrgbd_infos_train.pkl'), 'rb') as f:
        infos = pickle.load(f)
    assert infos['metainfo']['dataset'] == 'sunrgbd'
    assert list(infos['metainfo']['categories']) == list(SUNRGBD_CLASSES)
    info = infos['data_list'][0]
    assert info['lidar_points']['num_pts_feats'] == 6
    assert set(info['images']['CAM0']) >= {'img_path', 'depth2img'}
    pts = np.fromfile(osp.join(data_root, 'points', info['lidar_points']['lidar_path']),
                      dtype=np.float32).reshape(-1, 6)
    assert len(pts) == 4000 and (pts[:, 3:] >= 0).all() and (pts[:, 3:] <= 1).all()
    assert all(len(i['bbox_3d']) == 7 for i in info['instances'])
    assert {SUNRGBD_CLASSES[i['bbox_label_3d']] for i in info['instances']} <= set(
        SUNRGBD_DEMO_CLASSES)


def test_object_points_lie_in_their_yawed_boxes():
    # mmdet3d's own box corners (its yaw convention) must enclose each object's points
    scene = make_sunrgbd_scene(np.random.default_rng(3), num_points=20000,
                               num_objects=(4, 4))
    boxes = DepthInstance3DBoxes(torch.from_numpy(scene['boxes']), origin=(0.5, 0.5, 0.5))
    assert (boxes.yaw.abs() > 0.05).any()  # yawed
    xyz = scene['points'][:, :3]
    for corners, size in zip(boxes.corners.numpy(), scene['boxes'][:, 3:6]):
        grown = corners.mean(0) + (corners - corners.mean(0)) * 1.05  # 5 % for the noise
        inside = Delaunay(grown).find_simplex(xyz) >= 0
        assert inside.sum() > 20
        # the points inside fill the box: their spread along z equals its height
        assert np.ptp(xyz[inside, 2]) == pytest.approx(size[2], abs=0.05)


def test_same_seed_same_scene():
    a = make_sunrgbd_scene(np.random.default_rng(5), num_points=2000)
    b = make_sunrgbd_scene(np.random.default_rng(5), num_points=2000)
    np.testing.assert_array_equal(a['points'], b['points'])
    np.testing.assert_array_equal(a['boxes'], b['boxes'])


def test_read_by_sunrgbd_dataset_with_the_demo_pipeline(data_root):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_sunrgbd_det_demo.py'))
    pipeline = [dict(t) for t in cfg.train_pipeline]
    for t in pipeline:
        if t['type'] == 'EPCLRandomCuboidCrop':
            t['min_points'] = 2000  # the files here hold 4000 points
    ds = SUNRGBDDataset(data_root, 'sunrgbd_infos_train.pkl', pipeline=pipeline,
                        metainfo=cfg.metainfo, modality=dict(use_camera=False,
                                                             use_lidar=True))
    sample = ds[0]['data_samples']
    boxes = sample.gt_instances_3d.bboxes_3d
    assert isinstance(boxes, DepthInstance3DBoxes) and boxes.with_yaw and len(boxes) > 0
    assert ds[0]['inputs']['points'].shape == (2048, 3)
