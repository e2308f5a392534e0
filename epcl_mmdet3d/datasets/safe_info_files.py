"""Info files (``.pkl``) read with an unpickler that builds only data.

mmdet3d's info files (``scannet_infos_train.pkl`` and the like) are pickles, and
``pickle.load`` runs whatever code a crafted file names. Their content is plain data:
dicts, lists, strings, numbers and numpy arrays. Importing this module (opt-in, through a
config's ``custom_imports``; the EPCL configs do)::

    custom_imports = dict(imports=['epcl_mmdet3d', 'epcl_mmdet3d.datasets.safe_info_files'])

registers :class:`EPCLSafePickleHandler` as mmengine's handler of ``.pkl`` / ``.pickle``
files, so that ``mmengine.load`` (how mmengine's ``BaseDataset`` and thus every mmdet3d
data set reads its ``ann_file``) refuses any object beyond that data with an
``UnpicklingError`` naming what the file asked for. Writing (``mmengine.dump``) is
unchanged. :func:`load_info_file` reads a file the same way for code that called
``pickle.load`` itself.
"""
import pickle
import sys
from typing import IO, Any, Optional, Union

import numpy as np
from mmengine.fileio import io as mmengine_io
from mmengine.fileio import register_handler
from mmengine.fileio.handlers import PickleHandler

# what an info file may build: the builtin data types, OrderedDict, and numpy arrays,
# scalars and dtypes (pickles of numpy 1.x and 2.x name numpy.core / numpy._core)
_BUILTINS = ('dict', 'list', 'tuple', 'set', 'frozenset', 'str', 'bytes', 'bytearray',
             'int', 'float', 'complex', 'bool', 'slice', 'range')
_NUMPY_CORE = (('multiarray', '_reconstruct'), ('multiarray', 'scalar'),
               ('numeric', '_frombuffer'))
ALLOWED_GLOBALS = frozenset(
    [('builtins', name) for name in _BUILTINS] +
    [('__builtin__', name) for name in _BUILTINS] +  # protocol 0-2 pickles of Python 2
    [('collections', 'OrderedDict'),
     ('_codecs', 'encode'),  # bytes in protocol 0-2 pickles (numpy array data)
     ('numpy', 'ndarray'), ('numpy', 'dtype')] +
    [(f'numpy.{core}.{module}', name) for core in ('core', '_core')
     for module, name in _NUMPY_CORE] +
    # numpy >= 1.25 names a dtype's class (numpy.dtypes.Float32DType, ...)
    [('numpy.dtypes', name) for name in dir(getattr(np, 'dtypes', object()))
     if name.endswith('DType')])


class InfoFileUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that builds only :data:`ALLOWED_GLOBALS`.

    Args:
        file: binary file object to read.
        source: what the file is (its path), named in errors; by default the file's
            name, or the path given to ``mmengine.load``.
        **kwargs: ``pickle.Unpickler``'s options (``encoding``, ...).
    """

    def __init__(self, file: IO[bytes], source: Optional[str] = None, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.source = source or getattr(file, 'name', None)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        source = self.source or _mmengine_load_target() or 'an info file (.pkl)'
        raise pickle.UnpicklingError(
            f'{source} refers to {module}.{name}, which is not data: info files hold only '
            'dicts, lists, strings, numbers and numpy arrays, so the file is refused (a '
            'pickle that names code runs it when loaded). Re-create it with mmdet3d\'s '
            "converter. If you trust the file, load it without "
            "'epcl_mmdet3d.datasets.safe_info_files' in the config's custom_imports")


def load_info_file(file: Union[str, IO[bytes]]) -> Any:
    """Read an info file (path or binary file object) with :class:`InfoFileUnpickler`.

    Raises:
        pickle.UnpicklingError: the file names something other than data.
    """
    if isinstance(file, str):
        with open(file, 'rb') as f:
            return InfoFileUnpickler(f, file).load()
    return InfoFileUnpickler(file).load()


def _mmengine_load_target() -> Optional[str]:
    """The file ``mmengine.load`` was given, looked up on the stack (it hands the handler
    an anonymous buffer); None when not called from there."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is mmengine_io.load.__code__:
            target = frame.f_locals.get('file')
            return str(target) if target is not None else None
        frame = frame.f_back
    return None


@register_handler(['pkl', 'pickle'])
class EPCLSafePickleHandler(PickleHandler):
    """mmengine's ``PickleHandler`` whose loads go through :class:`InfoFileUnpickler`
    (registered for ``.pkl`` / ``.pickle`` when this module is imported)."""

    def load_from_fileobj(self, file: IO[bytes], **kwargs) -> Any:
        return InfoFileUnpickler(file, **kwargs).load()
