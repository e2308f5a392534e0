"""EPCLModelNet40Dataset from text files, from the cache, with a fold, and its errors."""
import os

import numpy as np
import pytest

from epcl_mmdet3d.datasets import EPCLModelNet40Dataset
from epcl_mmdet3d.datasets.modelnet40 import write_fold
from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40

CLASSES = ['sphere', 'cube', 'cylinder', 'cone', 'torus', 'table']


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mn') / 'syn')
    create_synthetic_modelnet40(root, CLASSES, train_per_class=3, test_per_class=2,
                             num_points=32)
    return root


def test_reads_text_files(root):
    ds = EPCLModelNet40Dataset(root, split='test', use_normals=True)
    assert len(ds) == 12 and ds.metainfo['classes'] == tuple(CLASSES)
    sample = ds[3]
    assert sample['points'].shape == (32, 6)
    assert sample['gt_label'] == CLASSES.index(sample['shape_id'].rsplit('_', 1)[0])
    assert EPCLModelNet40Dataset(root, split='test')[0]['points'].shape == (32, 3)


def test_reads_the_cache_like_the_text_files(root, tmp_path):
    from epcl_mmdet3d.datasets.modelnet40 import read_split, write_points_cache
    text = EPCLModelNet40Dataset(root, split='train', use_normals=True)
    points = np.stack([text[i]['points'] for i in range(len(text))])
    labels = [text[i]['gt_label'] for i in range(len(text))]
    cache = str(tmp_path / 'c.npz')
    write_points_cache(cache, points, labels, read_split(root, 'train'), CLASSES, 'first')
    cached = EPCLModelNet40Dataset(root, split='train', cache_file=cache)
    for i in (0, 7):
        np.testing.assert_array_equal(cached[i]['points'], points[i, :, :3])
        assert cached[i]['gt_label'] == labels[i]


def test_fold_restricts_and_relabels(root, tmp_path):
    fold = dict(setting='2w1s', fold=0, classes=['torus', 'sphere'],
                train=['torus_0001', 'sphere_0002'], test=['sphere_0004'])
    write_fold(str(tmp_path / 'f.json'), fold)
    ds = EPCLModelNet40Dataset(root, split='train', fold_file=str(tmp_path / 'f.json'))
    assert ds.metainfo['classes'] == ('torus', 'sphere')
    assert [ds[i]['gt_label'] for i in range(2)] == [0, 1]


def test_missing_point_file_is_reported(root, tmp_path):
    import shutil
    broken = str(tmp_path / 'broken')
    shutil.copytree(root, broken)
    os.remove(os.path.join(broken, 'cube', 'cube_0004.txt'))
    ds = EPCLModelNet40Dataset(broken, split='test')
    from epcl_mmdet3d.datasets.modelnet40 import read_split
    idx = read_split(broken, 'test').index('cube_0004')
    with pytest.raises(FileNotFoundError, match=r'point file not found: .*cube_0004\.txt'):
        ds[idx]


def test_malformed_line_is_reported_with_file_and_line(root, tmp_path):
    import shutil
    broken = str(tmp_path / 'broken')
    shutil.copytree(root, broken)
    path = os.path.join(broken, 'sphere', 'sphere_0004.txt')
    lines = open(path).read().splitlines()
    lines[4] = '0.1,0.2'
    open(path, 'w').write('\n'.join(lines) + '\n')
    ds = EPCLModelNet40Dataset(broken, split='test')
    with pytest.raises(ValueError, match=r'sphere_0004\.txt:5: expected 6'):
        ds[0]


def test_unknown_shape_in_split_and_missing_root(root, tmp_path):
    import shutil
    broken = str(tmp_path / 'broken')
    shutil.copytree(root, broken)
    with open(os.path.join(broken, 'modelnet40_test.txt'), 'a') as f:
        f.write('lamp_0001\n')
    with pytest.raises(ValueError, match="modelnet40_test.txt: shape id 'lamp_0001'"):
        EPCLModelNet40Dataset(broken, split='test')
    with pytest.raises(FileNotFoundError, match='class name file not found'):
        EPCLModelNet40Dataset(str(tmp_path / 'nothing'), split='test')
    with pytest.raises(FileNotFoundError, match='points cache not found'):
        EPCLModelNet40Dataset(root, split='test', cache_file='missing.npz')


def test_truncated_cache_is_reported(root, tmp_path):
    from epcl_mmdet3d.datasets.modelnet40 import read_split, write_points_cache
    cache = str(tmp_path / 'c.npz')
    ids = read_split(root, 'test')
    write_points_cache(cache, np.zeros((len(ids), 32, 6), np.float32),
                       [0] * len(ids), ids, CLASSES, 'first')
    data = open(cache, 'rb').read()
    with open(cache, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r'c\.npz: unreadable points cache .*truncated or '
                                         r'damaged: rebuild it'):
        EPCLModelNet40Dataset(root, split='test', cache_file=cache)


def test_shape_with_too_few_points_is_named(root, tmp_path):
    import shutil
    broken = str(tmp_path / 'few')
    shutil.copytree(root, broken)
    path = os.path.join(broken, 'cube', 'cube_0004.txt')
    lines = open(path).read().splitlines()[:5]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    from epcl_mmdet3d.datasets.modelnet40 import read_split
    ds = EPCLModelNet40Dataset(broken, split='test',
                               pipeline=[dict(type='EPCLPointSample', num_points=32)])
    with pytest.raises(ValueError, match=r'cube_0004\.txt: got 5 points, need 32'):
        ds[read_split(broken, 'test').index('cube_0004')]
