"""mmdet3d's flags for our tools: ``--task`` (accepted in mmdet3d's spelling, checked
against the config's model, inferred from it when left out), ``--show`` /
``--wait-time``, ``--cfg-options`` / ``--launcher`` / ``--local_rank``."""
import argparse
import os
from typing import Optional

# mmdet3d's --task values (tools/test.py, tools/misc/browse_dataset.py) and ours
TASK_CHOICES = ('det', 'seg', 'cls', 'lidar_det', 'lidar_seg', 'mono_det', 'multi-view_det',
                'multi-modality_det')
_POINT_TASKS = {'det': 'det', 'lidar_det': 'det', 'seg': 'seg', 'lidar_seg': 'seg',
                'cls': 'cls'}
_WHAT = {'det': '3D boxes (a detector)', 'seg': 'per-point labels (a segmentor)',
         'cls': 'a class per shape (a classifier)'}


def model_task(cfg) -> str:
    """'det', 'seg' or 'cls': what the config's model predicts."""
    from mmdet3d.models import Base3DDetector, Base3DSegmentor
    from mmdet3d.registry import MODELS

    model_type = cfg.model['type']
    model_cls = MODELS.get(model_type) if isinstance(model_type, str) else model_type
    if model_cls is None:
        raise KeyError(f'model type {model_type!r} is not registered in mmdet3d; is the '
                       "plugin imported (custom_imports = dict(imports=['epcl_mmdet3d']))?")
    if issubclass(model_cls, Base3DDetector):
        return 'det'
    if issubclass(model_cls, Base3DSegmentor):
        return 'seg'
    return 'cls'


def resolve_task(requested: Optional[str], cfg) -> str:
    """The task a tool draws: ``requested`` (``--task``) checked against the model.

    Args:
        requested: a value of :data:`TASK_CHOICES`, or None to take the model's.
        cfg: the tool's config.

    Returns:
        'det', 'seg' or 'cls'.
    """
    actual = model_task(cfg)
    if requested is None:
        return actual
    if requested not in _POINT_TASKS:
        raise ValueError(
            f'--task {requested}: EPCL models read point clouds only, without images; use '
            '--task lidar_det or lidar_seg, or leave --task out (it is taken from the model)')
    wanted = _POINT_TASKS[requested]
    if wanted != actual:
        raise ValueError(
            f'--task {requested} draws {_WHAT[wanted]}, but the config\'s model '
            f'{cfg.model["type"]} predicts {_WHAT[actual]}: use --task {actual}, or leave '
            '--task out (it is taken from the model)')
    return actual


def add_show_args(parser: argparse.ArgumentParser, wait_flag: str = '--wait-time') -> None:
    """``--show`` and its seconds per picture (mmdet3d: ``--wait-time``; its
    browse_dataset: ``--show-interval``)."""
    parser.add_argument('--show', action='store_true',
                        help='also show each picture in a window (needs a display)')
    parser.add_argument(wait_flag, type=float, default=2,
                        help='seconds each shown picture stays up (0: until closed)')


def parse_runner_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` (as mmdet3d's train.py
    and test.py take them), parse, and set ``LOCAL_RANK`` unless the launcher did."""
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
