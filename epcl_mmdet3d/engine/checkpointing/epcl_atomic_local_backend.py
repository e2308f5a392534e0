"""A local file backend whose writes are atomic: write aside, flush to disk, then rename."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def _plain_file_mode(filepath: str) -> int:
    """The permission bits ``open(filepath, 'wb')`` would leave on ``filepath``."""
    try:
        return os.stat(filepath).st_mode & 0o7777  # an existing file keeps its mode
    except FileNotFoundError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that a reader sees the old file or the whole new one.

    The bytes go to a hidden temporary file in the same directory, are flushed and
    fsync'ed, then ``os.replace`` puts them under the final name (atomic on POSIX and
    Windows within one file system); a kill or a full disk before the rename leaves the
    old file untouched and removes (or, after a hard kill, leaves behind) only the
    temporary ``.<name>.*.partial`` file. The file gets the permissions a plain ``open``
    would give it: those of the file it replaces, else ``0o666`` less the umask
    (``mkstemp`` alone would leave ``0o600``).
    """
    filepath = os.fspath(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.partial',
                               dir=directory)
    try:
        os.chmod(tmp, _plain_file_mode(filepath))
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    if hasattr(os, 'O_DIRECTORY'):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@register_backend('epcl_atomic_local')
class EPCLAtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` with atomic ``put`` / ``put_text`` (see :func:`atomic_write`).

    Select it with ``backend_args=dict(backend='epcl_atomic_local')``; ``EPCLCheckpointHook``
    does so for local checkpoint directories. It registers no path prefix, so nothing
    else changes backend.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), filepath)
