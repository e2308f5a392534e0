"""An outlier coordinate in ModelNet40 training data is refused naming its file, at the
threshold the models' own input check uses (``MAX_ABS_COORDINATE``)."""
import os.path as osp
import re
import shutil

import numpy as np
import pytest

from epcl_mmdet3d.datasets import EPCLModelNet40Dataset
from epcl_mmdet3d.datasets.modelnet40 import read_split, write_points_cache
from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40
from epcl_mmdet3d.ops._validation import MAX_ABS_COORDINATE

CLASSES = ['sphere', 'cube']


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mn') / 'syn')
    create_synthetic_modelnet40(root, CLASSES, train_per_class=2, test_per_class=1,
                                num_points=32)
    return root


def _with_line(root, tmp_path, line):
    broken = str(tmp_path / 'broken')
    shutil.copytree(root, broken)
    path = osp.join(broken, 'cube', 'cube_0002.txt')
    with open(path, 'a') as f:
        f.write(line + '\n')
    return broken, path


def test_outlier_line_in_a_training_file_names_the_file(root, tmp_path):
    broken, path = _with_line(root, tmp_path, '1e30,0.5,0.5,0,0,1')
    ds = EPCLModelNet40Dataset(broken, split='train')
    idx = read_split(broken, 'train').index('cube_0002')
    with pytest.raises(ValueError, match=re.escape(path) + r' has a coordinate of '
                                         r'magnitude 1e\+30 \(point 32\)'):
        ds[idx]


def test_threshold_is_the_models_one(root, tmp_path):
    broken, _ = _with_line(root, tmp_path, f'{MAX_ABS_COORDINATE:g},0,0,0,0,1')
    ds = EPCLModelNet40Dataset(broken, split='train')
    idx = read_split(broken, 'train').index('cube_0002')
    assert np.abs(ds[idx]['points']).max() == np.float32(MAX_ABS_COORDINATE)  # at: kept


def test_outlier_in_the_points_cache_names_the_cache_and_shape(root, tmp_path):
    text = EPCLModelNet40Dataset(root, split='train', use_normals=True)
    points = np.stack([text[i]['points'] for i in range(len(text))])
    points[3, 5, 2] = -1e30
    cache = str(tmp_path / 'c.npz')
    shape_ids = read_split(root, 'train')
    write_points_cache(cache, points, [0, 0, 1, 1], shape_ids, CLASSES, 'first')
    where = re.escape(f'{cache} (shape {shape_ids[3]})')
    with pytest.raises(ValueError, match=where + r' has a coordinate of magnitude '
                                         r'1e\+30 \(point 5\)'):
        EPCLModelNet40Dataset(root, split='train', cache_file=cache)
