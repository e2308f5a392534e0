"""Evaluate a checkpoint with the config's test loop and metrics: Config -> Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--show-dir DIR] [--launcher pytorch]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.engine import prepare_cpu_distributed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an EPCL / mmdet3d model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--show-dir', help='save visualisations of predictions '
                        'here (mmdet3d Det3DVisualizationHook)')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='score threshold of the visualised boxes')
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
    cfg = Config.fromfile(args.config)
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
        hooks = cfg.setdefault('default_hooks', {})
        if 'visualization' not in hooks:
            raise ValueError('--show-dir needs default_hooks.visualization '
                             '(Det3DVisualizationHook) in the config')
        hooks['visualization'].update(draw=True, show=False, test_out_dir=args.show_dir,
                                      score_thr=args.score_thr)
    return cfg


def main(argv=None):
    cfg = build_cfg(parse_args(argv))
    prepare_cpu_distributed(cfg)  # --launcher pytorch without CUDA: gloo
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
