"""The S3DIS base / novel segmentation configs (PLA's B8/N4): training labels hold the
base classes only (novel and clutter points -> ignore_index), and each test list is
evaluated on labels re-indexed onto it (what SegMetric reads)."""
import copy
import os.path as osp

import numpy as np
import pytest
from mmdet3d.registry import DATASETS, TRANSFORMS
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_s3dis

ROOT = osp.dirname(osp.abspath(__file__))
CFG_DIR = osp.join(ROOT, '..', 'configs', 'open_vocabulary')
S3DIS = ('ceiling', 'floor', 'wall', 'beam', 'column', 'window', 'door', 'table', 'chair',
         'sofa', 'bookcase', 'board', 'clutter')
BASE = ('ceiling', 'floor', 'wall', 'beam', 'column', 'door', 'chair', 'board')
NOVEL = ('window', 'table', 'sofa', 'bookcase')


def _expected(raw, classes, ignore=13):
    return np.array([classes.index(S3DIS[r]) if r < 13 and S3DIS[r] in classes else ignore
                     for r in raw])


def test_training_labels_hold_the_base_classes_only():
    cfg = Config.fromfile(osp.join(CFG_DIR, 'epcl_s3dis_seg_b8n4.py'))
    assert tuple(cfg.train_dataloader.dataset.metainfo.classes) == BASE
    assert cfg.model.decode_head.ignore_index == 13
    [subset] = [t for t in cfg.train_pipeline if t['type'] == 'EPCLSemanticClassSubset']
    raw = np.arange(14)  # every S3DIS label, and one already ignored
    out = TRANSFORMS.build(subset).transform(dict(pts_semantic_mask=raw.copy()))
    assert out['pts_semantic_mask'].tolist() == _expected(raw, BASE).tolist()
    assert set(out['pts_semantic_mask'][[5, 7, 9, 10, 12]]) == {13}  # novel, clutter


@pytest.mark.parametrize('name,classes', [
    ('epcl_s3dis_seg_b8n4.py', tuple(c for c in S3DIS if c != 'clutter')),
    ('epcl_s3dis_seg_b8n4_novel.py', NOVEL)])
def test_each_test_list_is_evaluated_on_labels_of_that_list(name, classes, tmp_path):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    data_root = str(tmp_path / 'data') + '/'
    create_synthetic_s3dis(data_root, rooms_per_area=1, areas=(5, ), density=40,
                           num_points=512)
    test = copy.deepcopy(cfg.test_dataloader.dataset)
    test.data_root = data_root
    dataset = DATASETS.build(test)
    assert tuple(dataset.metainfo['classes']) == classes
    assert dataset.metainfo['ignore_index'] == 13
    info = dataset.get_data_info(0)
    raw = np.fromfile(info['pts_semantic_mask_path'], dtype=np.int64)
    item = dataset[0]
    evaluated = np.asarray(item['data_samples'].eval_ann_info['pts_semantic_mask'])
    assert evaluated.tolist() == _expected(raw, classes).tolist()
    assert set(evaluated.tolist()) - {13}  # some points of the list are labelled
