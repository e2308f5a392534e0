"""Write a synthetic data set in the ``modelnet40_normal_resampled`` layout."""
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from ..modelnet40.layout import SHAPE_NAMES_FILE, shape_path, split_file
from .modelnet40_shapes import SHAPE_SAMPLERS


def _random_rotation_y(rng: np.random.Generator) -> np.ndarray:
    a = rng.random() * 2 * np.pi
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def sample_synthetic_shape(name: str, rng: np.random.Generator,
                           num_points: int) -> np.ndarray:
    """One random instance of a synthetic class.

    The instance varies by anisotropic scale (0.8-1.2 per axis), a rotation
    about the up (y) axis, a small offset and surface noise.

    Returns:
        np.ndarray: (num_points, 6) float32, x, y, z, nx, ny, nz.
    """
    if name not in SHAPE_SAMPLERS:
        raise ValueError(f"unknown synthetic shape '{name}'; choose from "
                         f'{sorted(SHAPE_SAMPLERS)}')
    points, normals = SHAPE_SAMPLERS[name](rng, num_points)
    scale = rng.uniform(0.8, 1.2, size=3)
    rot = _random_rotation_y(rng)
    points = (points * scale) @ rot.T + rng.normal(scale=0.05, size=3)
    # Normals transform with the inverse-transpose of the scaling.
    normals = (normals / scale) @ rot.T
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    points += rng.normal(scale=0.005, size=points.shape)
    order = rng.permutation(num_points)  # samplers emit part by part: mix them
    return np.concatenate([points, normals], 1)[order].astype(np.float32)  # (P, 6)


def create_synthetic_modelnet40(out_dir: str, classes: Optional[Sequence[str]] = None,
                             train_per_class: int = 40, test_per_class: int = 20,
                             num_points: int = 2048, seed: int = 0,
                             progress: bool = False) -> None:
    """Write shape names, split lists and one ``x,y,z,nx,ny,nz`` file per shape.

    Args:
        out_dir: data root to create.
        classes: class names (keys of SHAPE_SAMPLERS); all 12 by default.
        train_per_class / test_per_class: shapes per class in each split.
        num_points: points per shape file.
        seed: generator seed; the same arguments write the same files.
        progress: show a tqdm progress bar.
    """
    classes = list(SHAPE_SAMPLERS) if classes is None else list(classes)
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, SHAPE_NAMES_FILE), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    jobs = []
    splits = dict(train=[], test=[])
    for name in classes:
        os.makedirs(osp.join(out_dir, name), exist_ok=True)
        for i in range(train_per_class + test_per_class):
            sid = f'{name}_{i + 1:04d}'
            splits['train' if i < train_per_class else 'test'].append(sid)
            jobs.append((name, sid))
    for split, ids in splits.items():
        with open(split_file(out_dir, split), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    if progress:
        from tqdm import tqdm
        jobs = tqdm(jobs, desc='synthetic shapes')
    for name, sid in jobs:
        pts = sample_synthetic_shape(name, rng, num_points)
        np.savetxt(shape_path(out_dir, sid, name), pts, fmt='%.6f', delimiter=',')
