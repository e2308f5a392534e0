"""Broken point files: every error names the file (and scene) and says what to do."""
import os.path as osp

import numpy as np
import pytest
from mmdet3d.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import (
    create_synthetic_scannet,
    generate_room,
    write_s3dis_area,
)

SCENE = r'scene9000_00\.bin \(scene 0\) '  # the file and the info's sample_idx
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture(scope='module')
def scannet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('scannet'))
    create_synthetic_scannet(root, num_train=1, num_val=1, num_points=1000)
    return root


def _scannet_dataset(root):
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py'))
    ds_cfg = cfg.train_dataloader.dataset.dataset.to_dict()
    pipeline = [ds_cfg['pipeline'][0],  # EPCLLoadPointsFromFile
                dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True)]
    ds_cfg.update(data_root=root, pipeline=pipeline)
    return DATASETS.build(ds_cfg)


def _bin(root):
    return osp.join(root, 'points', 'scene9000_00.bin')


def _rewrite(path, data):
    with open(path, 'wb') as f:
        f.write(data)


@pytest.fixture
def broken(scannet):
    """Restores the scene file after a test breaks it."""
    original = open(_bin(scannet), 'rb').read()
    yield scannet, original
    _rewrite(_bin(scannet), original)


def test_intact_file_loads(scannet):
    assert _scannet_dataset(scannet)[0]['points'].shape == (1000, 3)


def test_truncated_mid_point(broken):
    root, data = broken
    _rewrite(_bin(root), data[:-10])
    with pytest.raises(ValueError, match=r'scene9000_00\.bin: 23,990 bytes are not a '
                                         r'whole number of points of load_dim=6.*truncated'):
        _scannet_dataset(root)[0]


def test_truncated_to_whole_points_is_caught_by_the_masks(broken):
    root, data = broken
    _rewrite(_bin(root), data[:-24 * 7])  # 7 whole points (6 float32 each) cut off
    with pytest.raises(ValueError, match=SCENE + r'holds 993 points but its mask '
                                         r'.*scene9000_00\.bin has 1000 entries'):
        _scannet_dataset(root)[0]


def test_nan_inside(broken):
    root, data = broken
    values = np.frombuffer(data, dtype=np.float32).copy()
    values[6 * 42 + 1] = np.nan
    _rewrite(_bin(root), values.tobytes())
    with pytest.raises(ValueError, match=SCENE + r'holds 1 point\(s\) with NaN or '
                                         r'Inf values \(first: point 42\)'):
        _scannet_dataset(root)[0]


def test_huge_coordinates(broken):
    root, data = broken
    values = np.frombuffer(data, dtype=np.float32).copy()
    values[0] = 3e19
    _rewrite(_bin(root), values.tobytes())
    with pytest.raises(ValueError, match=SCENE + r'has a coordinate of magnitude '
                                         r'3e\+19'):
        _scannet_dataset(root)[0]


def test_too_few_points(scannet):
    ds = _scannet_dataset(scannet)
    ds.pipeline.transforms[0].min_points = 2000
    with pytest.raises(ValueError, match=SCENE + r'holds 1000 points, fewer than '
                                         r'min_points=2000'):
        ds[0]


def test_s3dis_mask_of_wrong_length(tmp_path):
    init_default_scope('mmdet3d')
    write_s3dis_area(str(tmp_path), 1, {'office_1': generate_room(0, density=20.0)})
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py'))
    ds_cfg = cfg.train_dataloader.dataset.to_dict()
    ds_cfg.update(data_root=str(tmp_path), ann_files=['s3dis_infos_Area_1.pkl'],
                  scene_idxs=[np.array([0])])
    ds = DATASETS.build(ds_cfg)
    mask = osp.join(str(tmp_path), 'semantic_mask', 'Area_1_office_1.bin')
    labels = np.fromfile(mask, dtype=np.int64)
    labels[:-5].tofile(mask)
    with pytest.raises(ValueError, match=rf'Area_1_office_1\.bin.* holds {len(labels)} points '
                                         rf'but its mask .*has {len(labels) - 5} entries'):
        ds[0]


def test_info_label_outside_the_class_list_is_mmdet3d_keyerror(scannet, tmp_path):
    """Not ours: mmdet3d maps info labels through its class list while building."""
    import pickle
    import shutil
    root = str(tmp_path / 'labels')
    shutil.copytree(scannet, root)
    info_file = osp.join(root, 'scannet_infos_train.pkl')
    infos = pickle.load(open(info_file, 'rb'))
    infos['data_list'][0]['instances'][0]['bbox_label_3d'] = 18  # ScanNet has 0..17
    pickle.dump(infos, open(info_file, 'wb'))
    with pytest.raises(KeyError, match='18'):
        _scannet_dataset(root)
