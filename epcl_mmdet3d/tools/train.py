"""Train an EPCL model (or any mmdet3d model) from a config: Config -> Runner.

    epcl-train CONFIG [--work-dir DIR] [--amp] [--resume [CKPT]] [--cfg-options k=v ...]
        [--launcher pytorch]
    (also: python -m epcl_mmdet3d.tools.train ..., python tools/train.py ...)

Multi-GPU / multi-machine: launch with torchrun and ``--launcher pytorch``
(or slurm / mpi), exactly as with mmdet3d's own tools; ``--auto-scale-lr`` scales the
config's lr by (GPUs x batch size) / ``auto_scale_lr.base_batch_size``.
CONFIG is a file or a shipped config by name, e.g. epcl_mmdet3d::epcl_scannet_det_demo.py.
"""
import argparse
import logging

from mmengine.logging import print_log

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.tools.config_args import load_config, run
from epcl_mmdet3d.tools.mmdet3d_flags import parse_runner_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train an EPCL / mmdet3d model')
    parser.add_argument('config', help='config file (or epcl_mmdet3d::NAME.py)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision training (AmpOptimWrapper; on CPU bfloat16 '
                        'autocast through EPCLAmpOptimWrapper)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the real batch size')
    parser.add_argument('--sync_bn', choices=['none', 'torch', 'mmcv'], default='none',
                        help='convert BatchNorm layers to synchronised ones')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint of '
                        'the work dir when no path is given')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    return parse_runner_args(parser, argv)


def build_cfg(args):
    cfg = load_config(args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config', logger='current',
                      level=logging.WARNING)
        elif optim_wrapper != 'OptimWrapper':
            raise ValueError(f'--amp needs an OptimWrapper config, got {optim_wrapper}')
        else:
            # mmengine's AmpOptimWrapper, also on CPU (bfloat16 autocast, no loss scale)
            cfg.optim_wrapper.type = 'EPCLAmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError('--auto-scale-lr needs auto_scale_lr.base_batch_size '
                             'in the config')
        cfg.auto_scale_lr.enable = True
    if args.sync_bn != 'none':
        cfg.sync_bn = args.sync_bn
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv=None):
    run(build_cfg(parse_args(argv)), 'train')


if __name__ == '__main__':
    main()
