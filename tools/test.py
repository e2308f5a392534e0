"""Evaluate a checkpoint with the config's test loop and metrics: Config -> Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--show-dir DIR] [--launcher pytorch]
"""
import argparse

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.engine.runner_cli import (add_common_args, build_runner,
                                            load_config, parse)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an EPCL / mmdet3d model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--show-dir', help='save visualisations of predictions '
                        'here (mmdet3d Det3DVisualizationHook)')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='score threshold of the visualised boxes')
    add_common_args(parser)
    return parse(parser, argv)


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
    build_runner(build_cfg(parse_args(argv))).test()


if __name__ == '__main__':
    main()
