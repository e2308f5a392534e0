"""Which checkpoint files are complete, and which one ``--resume`` should continue from."""
import glob
import os
import os.path as osp
import re
import zipfile
from typing import Callable, List, Optional

LAST_CHECKPOINT = 'last_checkpoint'


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete torch checkpoint, or None when it is.

    ``torch.save`` writes a zip archive whose directory sits at the end of the file and
    whose members carry CRC-32 checksums: a file cut short by a kill or a full disk has
    no directory, and a damaged one fails a checksum. Reads the file once; loads nothing.
    """
    if not osp.isfile(path):
        return 'missing'
    size = osp.getsize(path)
    if size == 0:
        return 'empty (0 bytes)'
    if not zipfile.is_zipfile(path):
        return (f'truncated or not a torch checkpoint ({size:,} bytes, no zip directory at '
                'its end; torch.save writes one last)')
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        return f'damaged ({err})'
    if broken is not None:
        return f'damaged (member {broken} fails its CRC check)'
    return None


def require_complete_checkpoint(path: str, what: str = 'load', hint: str = '') -> None:
    """Raise a clear error when ``path`` is not a complete checkpoint (see
    :func:`checkpoint_problem`); URLs and other remote paths are left to their loaders.

    Args:
        path: the checkpoint file.
        what: the action, for the message (``'resume from'``, ``'load_from'``, ``'test'``).
        hint: what to do instead, appended to the message.

    Raises:
        FileNotFoundError: the file is missing, empty, truncated or damaged; the message
            names the path, the problem and ``hint``.
    """
    if '://' in str(path):
        return
    problem = checkpoint_problem(str(path))
    if problem is not None:
        raise FileNotFoundError(f'cannot {what} {path}: the file is {problem}. Pass a '
                                f'complete checkpoint{hint}')


def load_local_checkpoint(filename: str, map_location=None):
    """mmengine's loader of local checkpoint files (``load_checkpoint``, ``init_model``,
    ``load_from``), with the path and the problem named when the file is a torch zip
    archive cut short or damaged (torch alone says only ``PytorchStreamReader failed
    reading zip archive``). Other failures pass through unchanged.
    """
    from mmengine.runner.checkpoint import load_from_local
    try:
        return load_from_local(filename, map_location)
    except FileNotFoundError:
        raise
    except Exception:
        path = osp.expanduser(filename)
        with open(path, 'rb') as f:
            zip_archive = f.read(4) in (b'', b'PK\x03\x04')  # empty, or torch's format
        if zip_archive and checkpoint_problem(path) is not None:
            require_complete_checkpoint(path, 'load')  # raises, naming path and problem
        raise


def name_broken_local_checkpoints() -> None:
    """Make :func:`load_local_checkpoint` mmengine's loader of local paths."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


# the names mmengine's CheckpointHook gives the checkpoints it can resume from
_RESUMABLE_NAME = re.compile(r'^(?:epoch|iter)_(\d+)\.pth$')


def checkpoint_candidates(work_dir: str,
                          warn: Callable[[str], None] = print) -> List[str]:
    """The run's own checkpoints in ``work_dir`` (``epoch_N.pth`` / ``iter_N.pth``, the
    names mmengine's CheckpointHook writes), highest N first.

    Other ``.pth`` files (``best_*`` ones hold no optimizer state; ``notes_v16.pth`` is
    not this run's) are never resumed from; they are named once through ``warn``.
    """
    ranked, ignored = [], []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _RESUMABLE_NAME.match(osp.basename(path))
        if match:
            ranked.append((int(match.group(1)), os.stat(path).st_mtime_ns, path))
        elif not osp.basename(path).startswith('best_'):
            ignored.append(osp.basename(path))
    if ignored:
        warn(f'--resume ignores {sorted(ignored)} in {work_dir}: only epoch_N.pth / '
             'iter_N.pth (the names the checkpoint hook writes) are resumed from')
    return [path for _, _, path in sorted(ranked, reverse=True)]


# atomic_write's temporary files: '.<name>.' + mkstemp's 8 random characters + '.partial'
_PARTIAL_NAME = re.compile(r'^\..+\.[a-z0-9_]{8}\.partial$')


def remove_partial_files(directory: str, log: Callable[[str], None] = print) -> List[str]:
    """Delete the temporary files that a hard kill during an atomic write left in
    ``directory`` (a normal failure removes its own), saying which.

    Call it only when no other run writes to ``directory``: a save in progress there
    also has such a file.

    Returns:
        The names removed.
    """
    if not osp.isdir(directory):
        return []
    names = sorted(n for n in os.listdir(directory) if _PARTIAL_NAME.match(n))
    for name in names:
        os.remove(osp.join(directory, name))
    if names:
        log(f'removed {len(names)} unfinished checkpoint write(s) left in {directory} by '
            f'an interrupted run: {names}')
    return names


def find_resumable_checkpoint(work_dir: str,
                              warn: Callable[[str], None] = print) -> Optional[str]:
    """The checkpoint ``--resume`` (without a path) continues from.

    The file ``work_dir/last_checkpoint`` names, when it is complete; otherwise (the
    pointer empty, naming a deleted file, or a truncated / damaged one) the newest
    complete checkpoint of ``work_dir``, with a warning through ``warn`` that says so.

    Returns:
        The path, or None when ``work_dir`` holds neither pointer nor checkpoint (a fresh
        run: training starts from scratch, as in mmengine).

    Raises:
        FileNotFoundError: the pointer exists but neither it nor any other checkpoint
            in ``work_dir`` names a complete file.
    """
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    problem = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if not named:
            problem = f'{pointer} is empty (a save was interrupted while writing it?)'
        else:
            reason = checkpoint_problem(named)
            if reason is None:
                return named
            problem = f'{named}, which {pointer} names, is {reason}'
    for candidate in checkpoint_candidates(work_dir, warn):
        if checkpoint_problem(candidate) is None:
            warn(f'{problem or f"{pointer} does not exist"}; resuming from {candidate}, '
                 f'the newest complete checkpoint in {work_dir}, instead')
            return candidate
    if problem is None:
        return None
    raise FileNotFoundError(
        f'{problem}, and {work_dir} holds no other complete checkpoint to resume from. '
        'Train without --resume to start again, or pass --resume PATH_TO_A_CHECKPOINT')
