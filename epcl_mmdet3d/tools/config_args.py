"""Reading a tool's config the way mmdet3d's tools do (with our shipped-config names),
and running it."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from ..utils import resolve_config


def read_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``path`` (a file, or ``epcl_mmdet3d::NAME.py``) with ``--cfg-options`` merged."""
    cfg = Config.fromfile(resolve_config(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def load_config(args) -> Config:
    """``args.config`` with the launcher, the overrides and the work dir applied.

    The work dir is decided as in mmdet3d's tools: ``--work-dir``, else the config's
    ``work_dir``, else ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(resolve_config(args.config))
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def run(cfg: Config, mode: str) -> None:
    """Build the config's runner (``runner_type``: EPCLRunner) and ``train`` or ``test``."""
    from epcl_mmdet3d.engine import build_runner, prepare_cpu_distributed
    prepare_cpu_distributed(cfg)  # --launcher pytorch without CUDA: gloo
    getattr(build_runner(cfg), mode)()
