"""Evaluate a checkpoint with the config's test loop and metrics: Config -> Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--show-dir DIR [--score-thr T] [--show-interval N]] [--launcher pytorch]

CONFIG is a file or a shipped config by name, e.g. epcl_mmdet3d::epcl_scannet_det_demo.py.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.engine import build_runner, prepare_cpu_distributed
from epcl_mmdet3d.utils import resolve_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an EPCL / mmdet3d model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--show-dir', help='write a PNG of every test sample here: '
                        'predicted and true boxes (detection) or per-point labels '
                        '(segmentation); headless, no open3d (EPCLVisualizationHook)')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='score threshold of the drawn boxes')
    parser.add_argument('--show-interval', type=int, default=1,
                        help='draw every n-th test sample')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_config(args) -> Config:
    """Read ``args.config``; apply the launcher, the overrides and the work dir."""
    cfg = Config.fromfile(resolve_config(args.config))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_cfg(args):
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        # in place of mmdet3d's Det3DVisualizationHook (open3d, a display, and a
        # vis_task to set); unlike mmdet3d's flag, DIR is used as given, not inside
        # work_dir/<timestamp>/
        cfg.setdefault('default_hooks', {})
        cfg.default_hooks['visualization'] = dict(
            type='EPCLVisualizationHook', out_dir=osp.abspath(args.show_dir),
            score_thr=args.score_thr, interval=args.show_interval)
    return cfg


def main(argv=None):
    cfg = build_cfg(parse_args(argv))
    prepare_cpu_distributed(cfg)  # --launcher pytorch without CUDA: gloo
    runner = build_runner(cfg)  # cfg.runner_type (EPCLRunner) from mmdet3d's registry
    runner.test()


if __name__ == '__main__':
    main()
