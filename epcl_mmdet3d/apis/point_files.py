"""Read a user's point file and shape it the way a config's pipeline loads points.

Self-describing files (PLY, structured ``.npy``, ``.txt`` / ``.xyz`` / ``.csv`` with a
header line) are read by column name: x, y, z wherever they are, then the colour
(red / green / blue or r / g / b), then the rest in file order. Coordinates must be
floats: integers (millimetres or centimetres, usually) are refused, float64 is taken as
float32 with a warning, and a ``.bin`` that holds float64 is recognised and refused.
:func:`check_point_extent` warns about extents no room has (a file in centimetres).
"""
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .point_file_arrays import load_npy_points, load_text_points

POINT_FILE_SUFFIXES = ('.bin', '.npy', '.ply', '.txt', '.xyz', '.csv')
# colour columns, by name, in the order the pipeline reads them (after x, y, z)
_COLOUR_NAMES = (('red', 'green', 'blue'), ('r', 'g', 'b'),
                 ('diffuse_red', 'diffuse_green', 'diffuse_blue'))
# a room is a few metres to a few tens of metres wide (S3DIS's longest hallways: ~40 m)
MAX_ROOM_EXTENT = 50.0


def order_named_columns(names: Sequence[str], source: str) -> List[int]:
    """The order in which named columns are laid out: x, y, z, colour, the rest.

    Args:
        names: the file's column (property) names, in file order.
        source: the file, for the error message.

    Returns:
        Indices into ``names``.
    """
    lower = [n.lower() for n in names]
    missing = [axis for axis in 'xyz' if axis not in lower]
    if missing:
        raise ValueError(
            f'{source}: its points have the columns {", ".join(names)} but no '
            f'{" / ".join(missing)}. Columns of a self-describing file are found by name '
            '(x, y, z, then red, green, blue or r, g, b), whatever their order: name the '
            'coordinates x, y and z')
    order = [lower.index(axis) for axis in 'xyz']
    for colour in _COLOUR_NAMES:
        if all(c in lower for c in colour):
            order += [lower.index(c) for c in colour]
            break
    return order + [i for i in range(len(names)) if i not in order]


def _coordinates_as_float32(dtype, source: str) -> None:
    """Refuse integer coordinates; say so when float64 ones are narrowed to float32."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating):
        if dtype.itemsize > 4:
            warnings.warn(f'{source}: the coordinates are {dtype}; they are converted to '
                          "float32, the models' dtype")
        return
    hint = ('integer coordinates are usually millimetres or centimetres, and the models '
            'expect metres as floats: convert them, e.g. for millimetres '
            'np.save(out, (points / 1000).astype(np.float32))'
            if np.issubdtype(dtype, np.integer) else 'give float32 coordinates in metres')
    raise ValueError(f'{source}: the coordinates x, y, z are {dtype}; {hint}')


def _named_points(columns: dict, names: Sequence[str], source: str
                  ) -> Tuple[np.ndarray, List[str]]:
    """(N, C) float32 points from named 1D columns, laid out by :func:`order_named_columns`."""
    order = order_named_columns(names, source)
    for i in order[:3]:
        _coordinates_as_float32(np.asarray(columns[names[i]]).dtype, source)
    points = np.stack([np.asarray(columns[names[i]], dtype=np.float32) for i in order],
                      axis=1)  # (N, C)
    return points, [names[i] for i in order]


def _plausible(xyz: np.ndarray) -> np.ndarray:
    """Which coordinate values look like metres (finite, not huge, not denormal)."""
    size = np.abs(xyz)
    return np.isfinite(xyz) & (size < 1e5) & ((size == 0) | (size > 1e-30))


def _read_bin(path: str, load_dim: int) -> np.ndarray:
    """A headerless float32 ``.bin``; float64 files are recognised and refused."""
    raw = np.fromfile(path, dtype=np.uint8)
    as64 = raw[:raw.size - raw.size % 8].view(np.float64)
    fits64 = raw.size % (8 * load_dim) == 0 and \
        _plausible(as64.reshape(-1, load_dim)[:, :3]).all()
    float64_hint = (f'{path} looks like float64 values ({load_dim} per point), but mmdet3d\'s '
                    '.bin point files hold float32: convert it, e.g. np.fromfile(path, '
                    'np.float64).astype(np.float32).tofile(new_path), or save it as .npy')
    if raw.size % (4 * load_dim):
        if fits64:
            raise ValueError(float64_hint)
        raise ValueError(
            f'{path} holds {raw.size // 4} float32 values, not a multiple of the '
            f"config's load_dim={load_dim}: it was not written with {load_dim} "
            'values per point. Save it as .npy / .ply / .txt, whose column count is '
            'known, or set load_dim in the config pipeline to what the file holds')
    points = raw.view(np.float32).reshape(-1, load_dim)
    if fits64 and _plausible(points[:, :3]).mean() < 0.99:
        raise ValueError(float64_hint)
    return points


def _read_text(path: str) -> Tuple[np.ndarray, Optional[List[str]]]:
    """One point per line, comma- or space-separated, maybe under a header of names."""
    header, skip, line = None, 0, ''
    with open(path) as f:
        for skip, line in enumerate(f, 1):
            if line.strip() and not line.lstrip().startswith('#'):
                break
        else:
            raise ValueError(f'{path} holds no points (no line that is not blank or a '
                             '# comment)')
    delimiter = ',' if ',' in line else None
    fields = [t.strip() for t in line.split(delimiter)]
    try:
        [float(t) for t in fields]
        skip -= 1
    except ValueError:
        header = fields
    points = load_text_points(path, dtype=np.float64, comments='#', delimiter=delimiter,
                              skiprows=skip, ndmin=2)
    if header is not None and len(header) != points.shape[1]:
        raise ValueError(f'{path}: its header names {len(header)} columns '
                         f'({", ".join(header)}) but its rows hold {points.shape[1]}')
    return points, header


def read_point_file(path: str, load_dim: Optional[int] = None
                    ) -> Tuple[np.ndarray, List[str]]:
    """Read the points of a ``.bin`` (float32, ``load_dim`` values per point), ``.npy``
    ((N, C) array, or a structured array of named fields), ``.ply`` (the scalar
    properties of its vertices) or ``.txt`` / ``.xyz`` / ``.csv`` (one point per line,
    comma- or space-separated, optionally under a header line of names) file.

    Named columns (PLY properties, structured fields, a text header) are laid out as
    x, y, z, then colour, then the rest (:func:`order_named_columns`); unnamed ones are
    taken in file order as x, y, z, ...

    Args:
        path: the point file.
        load_dim: values per point of a ``.bin`` file (it has no header).

    Returns:
        points: (N, C) float32.
        columns: C column names (the file's, else x, y, z, c3, c4, ...).
    """
    suffix = osp.splitext(path)[1].lower()
    if not osp.isfile(path):
        raise FileNotFoundError(f'point file {path!r} does not exist')
    columns = None
    if suffix == '.bin':
        if load_dim is None:
            raise ValueError(f'{path}: a .bin file has no header; give load_dim')
        points = _read_bin(path, load_dim)
    elif suffix == '.npy':
        points = load_npy_points(path)
        if points.dtype.names:
            points, columns = _named_points(points, points.dtype.names, path)
        elif points.ndim == 2 and points.shape[1] >= 3:
            _coordinates_as_float32(points.dtype, path)
    elif suffix == '.ply':
        from plyfile import PlyData
        vertex = PlyData.read(path)['vertex']
        names = [p.name for p in vertex.properties]
        points, columns = _named_points({n: vertex[n] for n in names}, names, path)
    elif suffix in ('.txt', '.xyz', '.csv'):
        points, header = _read_text(path)
        if header is not None:
            points, columns = _named_points(dict(zip(header, points.T)), header, path)
    else:
        raise ValueError(f'{path}: unknown point file type {suffix!r}; use one of '
                         f'{", ".join(POINT_FILE_SUFFIXES)}')
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] < 3 or not len(points):
        raise ValueError(f'{path}: expected (N, C >= 3) points, got shape {points.shape}')
    if columns is None:
        columns = ['x', 'y', 'z'] + [f'c{i}' for i in range(3, points.shape[1])]
    return points, columns


def check_point_extent(points: np.ndarray, source: str,
                       max_extent: float = MAX_ROOM_EXTENT) -> Optional[str]:
    """Warn when the points span more than a room (a file in centimetres, say).

    Args:
        points: (N, 3 + C) points, metres expected.
        source: the file, for the message.
        max_extent: the widest horizontal extent (m) taken as plausible.

    Returns:
        The warning's text, or None when the extent is plausible.
    """
    span = np.ptp(points[:, :3], axis=0)
    if span[:2].max() <= max_extent:
        return None
    msg = (f'{source}: the points span {span[0]:.1f} x {span[1]:.1f} x {span[2]:.1f} '
           f'(x, y, z), wider than any room ({max_extent:g} m); the models expect metres. '
           'If the file is in centimetres or millimetres, divide the coordinates by 100 '
           'or 1000 first')
    warnings.warn(msg)
    return msg


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
        warnings.warn(f'{source}: the colour columns are all <= 1, but the config reads '
                      'RGB as 0..255 (NormalizePointsColor divides by 255); multiply '
                      'them by 255 first if they are 0..1 colours')
    return out
