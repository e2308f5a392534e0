"""One-file-per-split cache of sampled ModelNet40 points.

Parsing thousands of text files every epoch is slow;
``tools/dataset_converters/modelnet40_cache_points.py``
samples each shape once (FPS or the first points) and stores a whole split in one
uncompressed ``.npz`` that :class:`EPCLModelNet40Dataset` reads instead (``cache_file``).

File content (no pickled objects, loads with ``allow_pickle=False``):
    points     (S, P, 6) float32  x, y, z, nx, ny, nz of S shapes, P points each
               (FPS order when sampled with FPS: any prefix is itself an FPS sample)
    labels     (S,) int64         index into ``class_names``
    shape_ids  (S,) str
    class_names (C,) str
    sampling   () str             'fps' or 'first'
"""
import os.path as osp
import zipfile
from typing import Dict, Sequence

import numpy as np
import torch

from ...ops._validation import check_xyz

CACHE_KEYS = ('points', 'labels', 'shape_ids', 'class_names', 'sampling')


def cache_file_name(split: str, num_points: int, sampling: str) -> str:
    """Default cache file name, e.g. ``modelnet40_train_1024pts_fps.npz``."""
    return f'modelnet40_{split}_{num_points}pts_{sampling}.npz'


def write_points_cache(path: str, points: np.ndarray, labels: Sequence[int],
                       shape_ids: Sequence[str], class_names: Sequence[str],
                       sampling: str) -> None:
    """Write a split cache.

    Args:
        path: output ``.npz`` file.
        points: (S, P, 6) float32.
        labels: S label indices.
        shape_ids: S shape ids.
        class_names: C class names.
        sampling: how the P points were chosen ('fps' or 'first').
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 3 or not points.shape[0] == len(labels) == len(shape_ids):
        raise ValueError(f'points must be (S, P, C) with S == len(labels) == '
                         f'len(shape_ids); got {points.shape}, {len(labels)}, '
                         f'{len(shape_ids)}')
    np.savez(path, points=points, labels=np.asarray(labels, dtype=np.int64),
             shape_ids=np.asarray(shape_ids, dtype=str),
             class_names=np.asarray(class_names, dtype=str),
             sampling=np.asarray(sampling, dtype=str))


def read_points_cache(path: str) -> Dict[str, np.ndarray]:
    """Read a split cache written by :func:`write_points_cache`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file lacks one of :data:`CACHE_KEYS`, is inconsistent, or holds
            a non-finite coordinate or one beyond what float32 distances hold (the
            message names the file and the shape).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'points cache not found: {path}. Build it with '
            'tools/dataset_converters/modelnet40_cache_points.py, or set cache_file=None to read '
            'the text files.')
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in CACHE_KEYS if k not in f.files]
            if missing:
                raise ValueError(f'{path}: not a ModelNet40 points cache, missing '
                                 f'{missing}; rebuild it with '
                                 'tools/dataset_converters/modelnet40_cache_points.py')
            cache = {k: f[k] for k in CACHE_KEYS}
    except (zipfile.BadZipFile, EOFError, OSError) as err:  # cut short or damaged
        raise ValueError(f'{path}: unreadable points cache ({type(err).__name__}: {err}); '
                         'it is truncated or damaged: rebuild it with '
                         'tools/dataset_converters/modelnet40_cache_points.py') from err
    num = cache['points'].shape[0]
    if cache['points'].ndim != 3 or len(cache['labels']) != num or len(
            cache['shape_ids']) != num:
        raise ValueError(f'{path}: inconsistent cache (points '
                         f'{cache["points"].shape}, {len(cache["labels"])} labels, '
                         f'{len(cache["shape_ids"])} ids); rebuild it')
    check_xyz(torch.from_numpy(cache['points'][..., :3]),  # NaN, outliers
              sources=[f'{path} (shape {sid})' for sid in cache['shape_ids']])
    return cache
