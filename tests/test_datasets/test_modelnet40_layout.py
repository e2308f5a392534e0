"""Parsing the modelnet40_normal_resampled layout: good files, malformed lines, missing files."""
import numpy as np
import pytest

from epcl_mmdet3d.datasets.modelnet40 import (
    load_shape_points,
    read_shape_names,
    read_split,
    shape_class,
)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_load_shape_points_with_and_without_normals(tmp_path):
    path = _write(tmp_path / 'a.txt', '0.1,0.2,0.3,0,0,1\n1,2,3,1,0,0\n')
    pts = load_shape_points(path, use_normals=True)
    assert pts.shape == (2, 6) and pts.dtype == np.float32
    np.testing.assert_allclose(pts[1], [1, 2, 3, 1, 0, 0])
    assert load_shape_points(path).shape == (2, 3)


def test_malformed_line_names_file_and_line(tmp_path):
    path = _write(tmp_path / 'chair' / 'chair_0001.txt',
                  '0,0,0,0,0,1\n0,0,0,0,0,1\n0.5,oops,0,0,0,1\n')
    with pytest.raises(ValueError, match=r'chair_0001\.txt:3: not a number'):
        load_shape_points(path, use_normals=True)


def test_wrong_column_count_names_line(tmp_path):
    path = _write(tmp_path / 'b.txt', '0,0,0,0,0,1\n0,0,0,0\n')
    with pytest.raises(ValueError, match=r'b\.txt:2: expected 6 comma-separated'):
        load_shape_points(path)


def test_non_finite_value_is_rejected(tmp_path):
    path = _write(tmp_path / 'c.txt', '0,0,0,0,0,1\nnan,0,0,0,0,1\n')
    with pytest.raises(ValueError, match=r'c\.txt:2: non-finite'):
        load_shape_points(path)


def test_normals_requested_from_xyz_file(tmp_path):
    path = _write(tmp_path / 'd.txt', '0,0,0\n1,1,1\n')
    assert load_shape_points(path).shape == (2, 3)
    with pytest.raises(ValueError, match='only x,y,z'):
        load_shape_points(path, use_normals=True)


def test_missing_files_say_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match='point file not found: .*e.txt'):
        load_shape_points(str(tmp_path / 'e.txt'))
    with pytest.raises(FileNotFoundError, match='class name file not found'):
        read_shape_names(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='train split list not found'):
        read_split(str(tmp_path), 'train')


def test_shape_class_with_underscored_names():
    names = ['night_stand', 'stand']
    assert shape_class('night_stand_0001', names) == 'night_stand'
    assert shape_class('stand_0012', names) == 'stand'
    with pytest.raises(ValueError, match="shape id 'lamp_0001'"):
        shape_class('lamp_0001', names)
