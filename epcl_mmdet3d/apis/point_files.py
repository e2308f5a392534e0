"""Read a user's point file and shape it the way a config's pipeline loads points."""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np

POINT_FILE_SUFFIXES = ('.bin', '.npy', '.ply', '.txt', '.xyz')


def read_point_file(path: str, load_dim: Optional[int] = None
                    ) -> Tuple[np.ndarray, List[str]]:
    """Read the points of a ``.bin`` (float32, ``load_dim`` values per point), ``.npy``
    ((N, C) array), ``.ply`` (every scalar property of its vertices, in file order) or
    ``.txt`` / ``.xyz`` (one point per line, comma- or space-separated) file.

    Args:
        path: the point file.
        load_dim: values per point of a ``.bin`` file (it has no header).

    Returns:
        points: (N, C) float32.
        columns: C column names (from the PLY header, else x, y, z, c3, c4, ...).
    """
    suffix = osp.splitext(path)[1].lower()
    if not osp.isfile(path):
        raise FileNotFoundError(f'point file {path!r} does not exist')
    if suffix == '.bin':
        if load_dim is None:
            raise ValueError(f'{path}: a .bin file has no header; give load_dim')
        flat = np.fromfile(path, dtype=np.float32)
        if flat.size % load_dim:
            raise ValueError(
                f'{path} holds {flat.size} float32 values, not a multiple of the '
                f"config's load_dim={load_dim}: it was not written with {load_dim} "
                'values per point. Save it as .npy / .ply / .txt, whose column count is '
                'known, or set load_dim in the config pipeline to what the file holds')
        points = flat.reshape(-1, load_dim)
        columns = None
    elif suffix == '.npy':
        points = np.load(path, allow_pickle=False)
        columns = None
    elif suffix == '.ply':
        from plyfile import PlyData
        vertex = PlyData.read(path)['vertex']
        columns = [p.name for p in vertex.properties]
        points = np.stack([np.asarray(vertex[name], dtype=np.float32) for name in columns],
                          axis=1)  # (N, C)
    elif suffix in ('.txt', '.xyz'):
        with open(path) as f:
            first = next((line for line in f if line.strip() and not line.startswith('#')),
                         '')
        points = np.loadtxt(path, dtype=np.float32, comments='#',
                            delimiter=',' if ',' in first else None, ndmin=2)
        columns = None
    else:
        raise ValueError(f'{path}: unknown point file type {suffix!r}; use one of '
                         f'{", ".join(POINT_FILE_SUFFIXES)}')
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] < 3 or not len(points):
        raise ValueError(f'{path}: expected (N, C >= 3) points, got shape {points.shape}')
    if columns is None:
        columns = ['x', 'y', 'z'] + [f'c{i}' for i in range(3, points.shape[1])]
    return points, columns


def pipeline_point_dims(cfg) -> Tuple[int, List[int], bool]:
    """How the config's test pipeline loads points.

    Returns:
        load_dim: values per point in the data set's files.
        use_dim: the columns the pipeline keeps.
        use_color: whether it reads columns 3:6 as RGB (0..255).
    """
    pipeline = cfg.test_dataloader.dataset.pipeline
    loaders = ('LoadPointsFromFile', 'mmdet3d.LoadPointsFromFile', 'EPCLLoadPointsFromFile')
    load = next((t for t in pipeline if t['type'] in loaders), None)
    if load is None:
        raise ValueError('the config\'s test pipeline has no LoadPointsFromFile: it does '
                         'not read point files')
    load_dim = int(load.get('load_dim', 6))
    use_dim = load.get('use_dim', [0, 1, 2])
    use_dim = list(range(use_dim)) if isinstance(use_dim, int) else list(use_dim)
    return load_dim, use_dim, bool(load.get('use_color', False))


def fit_points_to_config(points: np.ndarray, columns: List[str], cfg,
                         source: str = 'the file') -> np.ndarray:
    """Lay the points out as the config's files are: (N, load_dim) float32.

    The pipeline keeps the columns ``use_dim`` of ``load_dim``; a file with at least
    ``max(use_dim) + 1`` columns fits (its first ``load_dim`` columns are taken; columns
    the pipeline does not use are zero when the file lacks them).

    Args:
        points: (N, C) points as read.
        columns: their C column names, for the error message.
        cfg: the model config.
        source: what the points came from, for the error message.

    Returns:
        (N, load_dim) float32.
    """
    load_dim, use_dim, use_color = pipeline_point_dims(cfg)
    needed = max(use_dim) + 1
    if points.shape[1] < needed:
        raise ValueError(
            f'{source} has {points.shape[1]} columns ({", ".join(columns)}) but the '
            f"config's LoadPointsFromFile reads load_dim={load_dim} values per point and "
            f'uses use_dim={use_dim}, so it needs at least {needed} columns '
            f'(x, y, z{", r, g, b" if needed >= 6 else ""} ...). Give a file with those '
            'columns, or a config whose use_dim matches your data')
    out = np.zeros((len(points), load_dim), dtype=np.float32)
    width = min(points.shape[1], load_dim)
    out[:, :width] = points[:, :width]  # (N, load_dim)
    if use_color and len(out) and out[:, 3:6].max() <= 1.0:
        import warnings
        warnings.warn(f'{source}: the colour columns are all <= 1, but the config reads '
                      'RGB as 0..255 (NormalizePointsColor divides by 255); multiply '
                      'them by 255 first if they are 0..1 colours')
    return out
