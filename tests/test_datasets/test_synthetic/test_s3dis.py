"""Synthetic S3DIS rooms: generator, converter-format files, mmdet3d's own loader."""
import os.path as osp

import mmengine
import numpy as np
import pytest
from mmdet3d.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from epcl_mmdet3d.datasets.synthetic import (
    S3DIS_CLASSES,
    create_synthetic_s3dis,
    generate_room,
    write_s3dis_area,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DEMO_CFG = osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')


def test_room_layout_and_labels():
    room = generate_room(3, density=60)
    n = len(room.points)
    assert room.points.shape == (n, 6) and room.points.dtype == np.float32
    assert room.semantic_mask.shape == (n, ) and room.semantic_mask.dtype == np.int64
    assert room.instance_mask.dtype == np.int64 and room.instance_mask.min() == 1
    np.testing.assert_allclose(room.points[:, :3].min(0), 0, atol=1e-6)
    assert room.points[:, 3:].min() >= 0 and room.points[:, 3:].max() <= 255
    present = set(np.unique(room.semantic_mask).tolist())
    assert {0, 1, 2, 5, 6, 7, 11} <= present  # ceiling floor wall window door table board
    assert present <= set(range(len(S3DIS_CLASSES)))
    # one class per instance
    for i in np.unique(room.instance_mask):
        assert len(np.unique(room.semantic_mask[room.instance_mask == i])) == 1
    # floor at the bottom, ceiling at the top
    z = room.points[:, 2]
    assert z[room.semantic_mask == 1].mean() < 0.05
    assert z[room.semantic_mask == 0].mean() > 2.5
    again = generate_room(3, density=60)
    np.testing.assert_array_equal(room.points, again.points)


def test_files_match_the_converter_layout(tmp_path):
    rooms = {'office_1': generate_room(0, density=60),
             'office_2': generate_room(1, density=60)}
    info_path = write_s3dis_area(str(tmp_path), 2, rooms, num_points=512)
    infos = mmengine.load(info_path)
    assert set(infos) == {'metainfo', 'data_list'}
    assert infos['metainfo']['dataset'] == 's3dis'
    info = infos['data_list'][1]
    assert info['sample_idx'] == 1
    assert info['lidar_points'] == dict(num_pts_feats=6, lidar_path='Area_2_office_2.bin')
    assert info['pts_semantic_mask_path'] == 'Area_2_office_2.bin'
    pts = np.fromfile(tmp_path / 'points' / 'Area_2_office_2.bin', dtype=np.float32)
    np.testing.assert_array_equal(pts.reshape(-1, 6), rooms['office_2'].points)
    sem = np.fromfile(tmp_path / 'semantic_mask' / 'Area_2_office_2.bin', dtype=np.int64)
    np.testing.assert_array_equal(sem, rooms['office_2'].semantic_mask)
    # every furniture instance (table, chair, sofa, bookcase, board) has a box
    furniture = [i for i in np.unique(rooms['office_2'].instance_mask)
                 if rooms['office_2'].semantic_mask[
                     rooms['office_2'].instance_mask == i][0] in (7, 8, 9, 10, 11)]
    assert len(info['instances']) == len(furniture)
    assert all(len(x['bbox_3d']) == 6 and 0 <= x['bbox_label_3d'] < 5
               for x in info['instances'])
    idxs = np.load(tmp_path / 'seg_info' / 'Area_2_resampled_scene_idxs.npy')
    total = sum(len(r.points) for r in rooms.values())
    assert idxs.dtype == np.int32
    assert abs(len(idxs) - total // 512) <= 1  # one entry per 512-point block
    counts = np.bincount(idxs, minlength=2)
    sizes = np.array([len(r.points) for r in rooms.values()])
    np.testing.assert_allclose(counts / counts.sum(), sizes / sizes.sum(), atol=0.05)
    weight = np.load(tmp_path / 'seg_info' / 'Area_2_label_weight.npy')
    assert weight.shape == (13, ) and weight.dtype == np.float32
    wall = weight[2]
    assert np.all(weight >= wall - 1e-6)  # the most frequent class weighs least


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('s3dis_demo'))
    create_synthetic_s3dis(root, rooms_per_area=1, density=60,
                      num_points=Config.fromfile(DEMO_CFG).num_points)
    return root


def _dataset(demo_root, split):
    cfg = Config.fromfile(DEMO_CFG)
    init_default_scope('mmdet3d')
    ds_cfg = cfg[f'{split}_dataloader']['dataset'].to_dict()
    ds_cfg['data_root'] = demo_root
    return DATASETS.build(ds_cfg)


def test_loads_with_mmdet3d_train_pipeline(demo_root):
    ds = _dataset(demo_root, 'train')
    assert type(ds).__name__ == 'S3DISSegDataset'
    expected = sum(len(np.load(osp.join(demo_root, 'seg_info',
                                        f'Area_{a}_resampled_scene_idxs.npy')))
                   for a in (1, 2, 3, 4, 6))
    assert len(ds) == expected
    item = ds[0]
    num_points = Config.fromfile(DEMO_CFG).num_points
    points = item['inputs']['points']
    assert points.shape == (num_points, 9)  # xyz, rgb, normalised xyz
    mask = item['data_samples'].gt_pts_seg.pts_semantic_mask
    assert mask.shape == (num_points, ) and int(mask.max()) < 13


def test_loads_with_mmdet3d_test_pipeline(demo_root):
    ds = _dataset(demo_root, 'test')
    assert len(ds) == 1  # Area 5, one room, whole
    item = ds[0]
    written = np.fromfile(osp.join(demo_root, 'semantic_mask', 'Area_5_office_1.bin'),
                          dtype=np.int64)
    assert item['inputs']['points'].shape == (len(written), 6)
    np.testing.assert_array_equal(
        item['data_samples'].eval_ann_info['pts_semantic_mask'], written)


def test_bad_arguments():
    with pytest.raises(ValueError, match='density'):
        generate_room(0, density=0)
    with pytest.raises(ValueError, match='no rooms'):
        write_s3dis_area('unused', 1, {})
