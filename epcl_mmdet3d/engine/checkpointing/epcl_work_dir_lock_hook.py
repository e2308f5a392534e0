"""One training run per work dir: a lock file held while a run trains."""
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import Dict, Optional

from mmdet3d.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

try:
    import fcntl
except ImportError:  # not a POSIX system
    fcntl = None

LOCK_FILE_NAME = 'train.lock'

# lock files this process holds, by real path -> open file descriptor; a run that ended
# with an exception (no after_train) leaves its entry here for the next run to take over
_HELD: Dict[str, int] = {}


def _read_owner(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 65536).decode('utf-8', 'replace').strip()
    if not text:
        return {}
    try:
        owner = json.loads(text)
    except ValueError:
        return dict(raw=text[:200])
    return owner if isinstance(owner, dict) else dict(raw=text[:200])


def _describe(owner: dict) -> str:
    if 'pid' not in owner:
        return f'unknown owner ({owner.get("raw", "empty lock file")!r})'
    return (f'pid {owner["pid"]} on host {owner.get("host", "?")}, started '
            f'{owner.get("started", "?")}: {owner.get("command", "?")}')


class WorkDirLock:
    """An exclusive ``flock`` on ``<work_dir>/train.lock``, recording who holds it.

    The kernel drops the lock when its process dies, so a lock file left by a killed
    run is free and is taken over; its record (pid, host, start time, command) says
    whose it was.

    Args:
        work_dir: the work dir to lock.
    """

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(osp.realpath(work_dir), LOCK_FILE_NAME)
        self.fd: Optional[int] = None

    def acquire(self) -> Optional[str]:
        """Take the lock.

        Returns:
            None, or a note to log when a stale lock (of a run that died) was taken over.

        Raises:
            RuntimeError: another live process holds the lock; names it.
        """
        note = None
        if self.path in _HELD:  # an earlier run of this process died with an exception
            os.close(_HELD.pop(self.path))
            note = (f'{self.path} was held by an earlier run of this process that ended '
                    'with an error; taken over')
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _read_owner(fd)
                os.close(fd)
                raise RuntimeError(
                    f'the work dir {osp.dirname(self.path)} is in use by another training '
                    f'run ({_describe(owner)}; lock file {self.path}). Two runs in one '
                    'work dir overwrite each other\'s checkpoints and last_checkpoint: pass '
                    'another --work-dir, or wait for that run to end (or stop it)') from None
            except OSError as err:  # a file system without flock (some network mounts)
                os.close(fd)
                return (f'cannot lock {self.path} ({err}); this file system does not '
                        'support flock, so a second run in this work dir is not detected')
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # released and removed by its owner meanwhile: lock the new file
        owner = _read_owner(fd)
        if owner and note is None:
            note = (f'took over the stale lock {self.path} of a run that is no longer '
                    f'running ({_describe(owner)}); it was killed or crashed')
        record = dict(pid=os.getpid(), host=socket.gethostname(),
                      started=time.strftime('%Y-%m-%d %H:%M:%S %z'),
                      command=' '.join(sys.argv)[:500])
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode())
        os.fsync(fd)
        self.fd = fd
        _HELD[self.path] = fd
        return note

    def release(self) -> None:
        """Remove the lock file and drop the lock (in that order, so that a waiting run
        never locks a file that is about to disappear)."""
        if self.fd is None:
            return
        if _HELD.get(self.path) == self.fd:
            del _HELD[self.path]
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
        os.close(self.fd)
        self.fd = None


@HOOKS.register_module()
class EPCLWorkDirLockHook(Hook):
    """Refuse to train in a work dir that another live run is training in.

    Two runs in one work dir (e.g. two seeds started with the same ``--work-dir``) both
    finish, and every checkpoint and ``last_checkpoint`` is whichever wrote last. This
    hook takes an exclusive lock on ``<work_dir>/train.lock`` when training starts
    (``before_train``, after any ``--resume`` load, before the first iteration), and
    removes it when training ends; a second run fails at its start with an error naming
    the first (pid, host, start time, command). A lock left by a run that was killed is
    taken over, with a warning naming that run. Testing or validating in a work dir
    (``tools/test.py``) takes no lock. Only the main process locks.

    The lock is ``fcntl.flock``: the kernel releases it when its process dies. On a file
    system without flock support (some network mounts) the hook warns and does nothing.
    """

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self._lock: Optional[WorkDirLock] = None

    def before_train(self, runner) -> None:
        if not is_main_process():
            return
        if fcntl is None:
            runner.logger.warning('EPCLWorkDirLockHook: no fcntl on this system; the work '
                                  'dir is not locked')
            return
        self._lock = WorkDirLock(runner.work_dir)
        note = self._lock.acquire()
        if note is not None:
            runner.logger.warning(note)

    def after_train(self, runner) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
