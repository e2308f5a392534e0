"""Reading the ``modelnet40_normal_resampled`` on-disk layout.

The layout (as distributed by the PointNet++ authors and used by Point-BERT,
MaskPoint and most point-transformer code)::

    <data_root>/
      modelnet40_shape_names.txt      one class name per line (defines label order)
      modelnet40_train.txt            one shape id per line, e.g. ``night_stand_0001``
      modelnet40_test.txt
      <class>/<shape_id>.txt          one point per line: ``x,y,z,nx,ny,nz``

A shape id is ``<class>_<4 digits>``; the class is everything before the last
underscore (class names may contain underscores, e.g. ``night_stand``).
"""
import os.path as osp
from typing import List

import numpy as np
import torch

from ...ops._validation import check_xyz

SHAPE_NAMES_FILE = 'modelnet40_shape_names.txt'
SPLIT_FILE = 'modelnet40_{split}.txt'
SPLITS = ('train', 'test')


def _read_nonempty_lines(path: str, what: str) -> List[str]:
    """Return the stripped non-empty lines of a text file.

    Raises:
        FileNotFoundError: the file does not exist (message says what it is).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path}. Expected the modelnet40_normal_resampled '
            'layout (modelnet40_shape_names.txt, modelnet40_train.txt, '
            'modelnet40_test.txt, <class>/<shape_id>.txt); check data_root, or '
            'generate a synthetic set with '
            'tools/synthetic_data/create_synthetic_modelnet40.py.')
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def read_shape_names(data_root: str) -> List[str]:
    """Class names in label order, from ``modelnet40_shape_names.txt``."""
    path = osp.join(data_root, SHAPE_NAMES_FILE)
    names = _read_nonempty_lines(path, 'class name file')
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f'{path}: duplicated class names {dup}')
    return names


def split_file(data_root: str, split: str) -> str:
    """Path of the shape-id list of ``split`` ('train' or 'test')."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got '{split}'")
    return osp.join(data_root, SPLIT_FILE.format(split=split))


def read_split(data_root: str, split: str) -> List[str]:
    """Shape ids of a split, in file order."""
    return _read_nonempty_lines(
        split_file(data_root, split), f'{split} split list')


def shape_class(shape_id: str, class_names: List[str], where: str = '') -> str:
    """Class name of a shape id (``night_stand_0001`` -> ``night_stand``).

    Raises:
        ValueError: the id does not look like ``<class>_<number>`` of a known class.
    """
    name, sep, number = shape_id.rpartition('_')
    if not sep or not number.isdigit() or name not in class_names:
        raise ValueError(
            f"{where}shape id '{shape_id}' is not '<class>_<number>' with a class "
            f'listed in {SHAPE_NAMES_FILE} ({len(class_names)} classes)')
    return name


def shape_path(data_root: str, shape_id: str, class_name: str) -> str:
    """Path of a shape's point file: ``<data_root>/<class>/<shape_id>.txt``."""
    return osp.join(data_root, class_name, f'{shape_id}.txt')


def _locate_bad_line(path: str, num_columns: int) -> str:
    """Find the first line of ``path`` that is not ``num_columns`` finite floats."""
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            fields = line.strip().split(',')
            if len(fields) != num_columns:
                return (f'{path}:{lineno}: expected {num_columns} comma-separated '
                        f'values (x,y,z,nx,ny,nz), got {len(fields)}: '
                        f'{line.strip()[:80]!r}')
            try:
                values = [float(v) for v in fields]
            except ValueError:
                return (f'{path}:{lineno}: not a number in {line.strip()[:80]!r}')
            if not all(np.isfinite(values)):
                return f'{path}:{lineno}: non-finite value in {line.strip()[:80]!r}'
    return f'{path}: could not parse the file (no single bad line found)'


def load_shape_points(path: str, use_normals: bool = False) -> np.ndarray:
    """Read one shape's ``x,y,z,nx,ny,nz`` text file.

    Args:
        path: the ``<class>/<shape_id>.txt`` file.
        use_normals: keep the normal columns. Files of only ``x,y,z`` are
            accepted when normals are not requested.

    Returns:
        np.ndarray: (P, 6) float32 when ``use_normals`` else (P, 3).

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: a malformed line (the message names the file and line), an
            empty file, normals requested from a 3-column file, or a coordinate
            beyond what float32 distances hold (an outlier; names the file and point).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'point file not found: {path}. The split list names this shape; '
            'check that the data set is complete (or rebuild it).')
    with open(path, encoding='utf-8') as f:
        first = next((line for line in f if line.strip()), None)
    if first is None:
        raise ValueError(f'{path}: empty point file')
    num_columns = len(first.strip().split(','))
    if num_columns not in (3, 6):
        raise ValueError(f'{path}:1: expected 6 comma-separated values '
                         f'(x,y,z,nx,ny,nz), got {num_columns}: {first.strip()[:80]!r}')
    if use_normals and num_columns != 6:
        raise ValueError(f'{path}: use_normals=True but the file has only x,y,z '
                         'columns; set use_normals=False')
    try:
        points = np.loadtxt(path, delimiter=',', dtype=np.float32, ndmin=2)
    except ValueError:
        raise ValueError(_locate_bad_line(path, num_columns)) from None
    if points.shape[1] != num_columns or not np.isfinite(points).all():
        raise ValueError(_locate_bad_line(path, num_columns))
    check_xyz(torch.from_numpy(points[None, :, :3]), sources=[path])  # outliers
    return points[:, :6] if use_normals else np.ascontiguousarray(points[:, :3])
