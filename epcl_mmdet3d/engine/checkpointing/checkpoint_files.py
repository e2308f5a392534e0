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


def _step(path: str) -> int:
    """The number in a checkpoint's name (epoch_12.pth -> 12); -1 when there is none."""
    found = re.findall(r'(\d+)', osp.basename(path))
    return int(found[-1]) if found else -1


def checkpoint_candidates(work_dir: str) -> List[str]:
    """The run's own checkpoints in ``work_dir``, newest first (best_* ones left out: they
    hold no optimizer state to resume from)."""
    paths = [p for p in glob.glob(osp.join(work_dir, '*.pth'))
             if not osp.basename(p).startswith('best_')]
    return sorted(paths, key=lambda p: (_step(p), os.stat(p).st_mtime_ns), reverse=True)


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
    for candidate in checkpoint_candidates(work_dir):
        if checkpoint_problem(candidate) is None:
            warn(f'{problem or f"{pointer} does not exist"}; resuming from {candidate}, '
                 f'the newest complete checkpoint in {work_dir}, instead')
            return candidate
    if problem is None:
        return None
    raise FileNotFoundError(
        f'{problem}, and {work_dir} holds no other complete checkpoint to resume from. '
        'Train without --resume to start again, or pass --resume PATH_TO_A_CHECKPOINT')
