import os.path as osp
import pickle

import numpy as np
import pytest
from mmdet3d.datasets import ScanNetDataset
from mmdet3d.utils import register_all_modules
from mmengine.config import Config

from epcl_mmdet3d.datasets.synthetic import (
    DEMO_CLASSES,
    SCANNET_DET_CLASSES,
    create_synthetic_scannet,
    make_scene,
)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    register_all_modules()
    root = str(tmp_path_factory.mktemp('scannet_like'))
    create_synthetic_scannet(root, num_train=2, num_val=1, num_points=4000, seed=1)
    return root


def test_layout_matches_mmdet3d_converter(data_root):
    with open(osp.join(data_root, 'scannet_infos_train.pkl'), 'rb') as f:
        infos = pickle.load(f)
    assert infos['metainfo']['dataset'] == 'scannet'
    assert list(infos['metainfo']['categories']) == list(SCANNET_DET_CLASSES)
    info = infos['data_list'][0]
    name = info['lidar_points']['lidar_path']
    assert info['lidar_points']['num_pts_feats'] == 6
    pts = np.fromfile(osp.join(data_root, 'points', name), dtype=np.float32).reshape(-1, 6)
    ins = np.fromfile(osp.join(data_root, 'instance_mask', info['pts_instance_mask_path']),
                      dtype=np.int64)
    sem = np.fromfile(osp.join(data_root, 'semantic_mask', info['pts_semantic_mask_path']),
                      dtype=np.int64)
    assert len(pts) == len(ins) == len(sem) == 4000
    assert np.asarray(info['axis_align_matrix']).shape == (4, 4)
    assert all(len(i['bbox_3d']) == 6 for i in info['instances'])
    assert {SCANNET_DET_CLASSES[i['bbox_label_3d']] for i in info['instances']} <= set(
        DEMO_CLASSES)


def test_same_seed_same_scene():
    a = make_scene(np.random.default_rng(5), num_points=2000)
    b = make_scene(np.random.default_rng(5), num_points=2000)
    np.testing.assert_array_equal(a['points'], b['points'])
    np.testing.assert_array_equal(a['boxes'], b['boxes'])


def test_read_by_scannet_dataset_with_its_pipeline(data_root, tmp_path):
    cfg_file = tmp_path / 'base.py'
    cfg_file.write_text("_base_ = ['mmdet3d::_base_/datasets/scannet-3d.py']\n")
    base = Config.fromfile(str(cfg_file))  # mmdet3d's own ScanNet data config
    pipeline = [t for t in base.train_pipeline if t['type'] != 'PointSample']
    pipeline.insert(4, dict(type='PointSample', num_points=2000))
    ds = ScanNetDataset(data_root, 'scannet_infos_train.pkl', pipeline=pipeline,
                        metainfo=base.metainfo, box_type_3d='Depth')
    assert len(ds) == 2
    item = ds[0]
    sample = item['data_samples']
    assert item['inputs']['points'].shape == (2000, 4)  # xyz + height
    n_gt = len(ds.get_data_info(0)['instances'])
    assert len(sample.gt_instances_3d.bboxes_3d) == n_gt > 0
    # PointSegClassMapping turned NYU40 ids into class indices (18 = not a class)
    sem = sample.gt_pts_seg.pts_semantic_mask
    assert sem.max() <= 18 and (sem < 18).any()


def test_aligned_object_points_lie_in_their_boxes(data_root):
    pipeline = [
        dict(type='LoadPointsFromFile', coord_type='DEPTH', load_dim=6, use_dim=[0, 1, 2]),
        dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
             with_mask_3d=True, with_seg_3d=True),
        dict(type='GlobalAlignment', rotation_axis=2),
        dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d',
                                           'pts_instance_mask'])]
    ds = ScanNetDataset(data_root, 'scannet_infos_val.pkl', pipeline=pipeline,
                        box_type_3d='Depth')
    item = ds[0]
    xyz = item['inputs']['points'][:, :3].numpy()
    ins = item['data_samples'].gt_pts_seg.pts_instance_mask.numpy()
    boxes = item['data_samples'].gt_instances_3d.bboxes_3d
    centres, dims = boxes.gravity_center.numpy(), boxes.dims.numpy()
    for i in range(len(boxes)):
        obj = xyz[ins == i + 3]  # object instance ids start at 3 (1 floor, 2 walls)
        assert len(obj) > 10
        assert (np.abs(obj - centres[i]) <= dims[i] / 2 + 1e-3).all()
    # the room sits on z = 0 after alignment
    assert abs(xyz[:, 2].min()) < 0.05
