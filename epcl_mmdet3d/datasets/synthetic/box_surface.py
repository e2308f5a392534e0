"""Points on the faces of an axis-aligned box: the one surface sampler every synthetic
data set of the package (ScanNet rooms, S3DIS rooms, ModelNet40 shapes) builds from."""
from typing import Tuple

import numpy as np


def sample_box_surface(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, num: int,
                       with_bottom: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Sample ``num`` points uniformly over the surface of the box ``[lo, hi]``.

    Each point picks a face with probability proportional to the face's area, then a
    uniform position on it.

    Args:
        rng: random generator.
        lo: (3,) minimum corner.
        hi: (3,) maximum corner.
        num: number of points.
        with_bottom: also sample the bottom face (z = lo[2]); leave it out for objects
            that rest on the floor, where it cannot be seen.

    Returns:
        points (num, 3) float64 and their outward unit normals (num, 3).
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    size = hi - lo
    faces, areas = [], []  # (axis, side) of each face; side 1 is the max face
    for axis in range(3):
        other = [a for a in range(3) if a != axis]
        for side in (0, 1):
            if axis == 2 and side == 0 and not with_bottom:
                continue
            faces.append((axis, side))
            areas.append(size[other[0]] * size[other[1]])
    areas = np.asarray(areas) + 1e-9  # a flat box still has faces to choose
    choice = rng.choice(len(faces), size=num, p=areas / areas.sum())  # (num,)
    points = lo + rng.random((num, 3)) * size  # (num, 3)
    normals = np.zeros((num, 3))
    for f, (axis, side) in enumerate(faces):
        sel = choice == f
        points[sel, axis] = hi[axis] if side else lo[axis]
        normals[sel, axis] = 1.0 if side else -1.0
    return points, normals
