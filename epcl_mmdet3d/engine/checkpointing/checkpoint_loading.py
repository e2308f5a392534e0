"""Let torch's weights-only unpickler read full mmengine checkpoints.

torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, and mmengine
0.10.7 calls ``torch.load`` without the argument, so resuming (and ``load_from`` of a
checkpoint written by a Runner) fails on the objects mmengine stores besides the
weights: the MessageHub's ``HistoryBuffer`` logs (which name their statistics methods
through ``getattr``) and numpy scalars / arrays in them.
Instead of switching weights-only loading off, this allow-lists exactly those types.
"""
import pickle
from typing import Any, List

import numpy as np
import torch

_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """The one use of ``getattr`` an mmengine checkpoint needs, and no other.

    A pickled ``HistoryBuffer`` refers to its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing ``builtins.getattr`` itself
    would let a checkpoint reach any attribute of anything it can name, so this
    stand-in is registered under that name instead and resolves only those methods.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(_HISTORY_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'weights-only loading refuses getattr({obj!r}, {name!r}): only the statistics '
        'methods of mmengine HistoryBuffer are allowed')


def mmengine_checkpoint_globals() -> List[Any]:
    """The classes and functions an mmengine Runner checkpoint pickles besides tensors."""
    from mmengine.config import ConfigDict
    from mmengine.logging.history_buffer import HistoryBuffer
    if int(np.__version__.split('.')[0]) >= 2:
        from numpy._core import multiarray
    else:
        from numpy.core import multiarray
    allowed = [
        HistoryBuffer,
        # dataset_meta of segmentation datasets (S3DISSegDataset's label2cat and
        # label_mapping) is stored as ConfigDict in meta and message_hub
        ConfigDict,
        (history_buffer_getattr, 'builtins.getattr'),
        multiarray._reconstruct,
        multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    # numpy >= 1.25 pickles dtypes as numpy.dtypes.<Name>DType classes
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return allowed


def allow_mmengine_checkpoints() -> None:
    """Register :func:`mmengine_checkpoint_globals` as safe for ``torch.load``, and make
    mmengine's loading of a truncated local checkpoint an error that names the file."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:  # torch < 2.4 does not load weights-only by default
        add(mmengine_checkpoint_globals())
    from .checkpoint_files import name_broken_local_checkpoints
    name_broken_local_checkpoints()
