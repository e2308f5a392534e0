"""numpy's readings of a user's point file, with errors that name the file."""
import numpy as np


def load_npy_points(path: str) -> np.ndarray:
    """``np.load`` of a ``.npy`` point file, without pickles.

    Raises:
        ValueError: the file is not a plain ``.npy`` array (truncated, not ``.npy``, or
            an object array, which would need unpickling), or holds complex values
            (numpy would drop their imaginary part with a warning); the message names the
            file.
    """
    save = ('save the points with np.save(path, points), points an (N, C) float32 array '
            'or a structured array with fields x, y, z, ...')
    try:
        points = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise ValueError(f'{path}: not a readable .npy array of points ({err}); {save}') \
            from None
    names = points.dtype.names or ()
    dtypes = [points.dtype.fields[n][0] for n in names] if names else [points.dtype]
    if any(np.issubdtype(d, np.complexfloating) for d in dtypes):
        raise ValueError(f'{path} holds complex values ({points.dtype}); points are real: '
                         f'{save}')
    return points


def load_text_points(path: str, **kwargs) -> np.ndarray:
    """``np.loadtxt(path, **kwargs)`` of a text point file.

    Raises:
        ValueError: a line with another number of values than the first (ragged), or a
            value that is not a number; the message names the file (numpy's row count
            skips comment and blank lines).
    """
    try:
        return np.loadtxt(path, **kwargs)
    except ValueError as err:
        raise ValueError(
            f'{path}: {err}. Every line must hold the same number of values (x y z '
            '[...]), separated by commas or spaces') from None
