"""Evaluate a checkpoint with the config's test loop and metrics: Config -> Runner.

    epcl-test CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--show-dir DIR] [--show [--wait-time S]] [--task lidar_det|lidar_seg]
        [--score-thr T] [--max-boxes K] [--show-interval N] [--out FILE.pkl] [--tta]
        [--launcher pytorch]
    (also: python -m epcl_mmdet3d.tools.test ..., python tools/test.py ...)

mmdet3d's flags, with its meanings: ``--show-dir DIR`` writes a picture of every test
sample into ``work_dir/<timestamp>/DIR`` (an absolute DIR is used as it is), ``--show``
also shows each in a window for ``--wait-time`` seconds (where a display exists),
``--task`` is what the pictures draw (taken from the model when left out), ``--tta``
tests with the config's ``tta_model`` / ``tta_pipeline``, ``--out`` dumps the
predictions (mmengine's ``DumpResults``). The pictures are headless (no open3d):
``EPCLVisualizationHook``. CONFIG is a file or a shipped config by name, e.g.
epcl_mmdet3d::epcl_scannet_det_demo.py.
"""
import argparse

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.tools.config_args import load_config, run
from epcl_mmdet3d.tools.mmdet3d_flags import (
    TASK_CHOICES,
    add_show_args,
    parse_runner_args,
    resolve_task,
)
from epcl_mmdet3d.visualization.png_window import require_display


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an EPCL / mmdet3d model')
    parser.add_argument('config', help='config file (or epcl_mmdet3d::NAME.py)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the logs and metrics go')
    parser.add_argument('--show-dir', help='write a PNG of every test sample here: '
                        'predicted (label and score) and true (label) boxes, or per-point '
                        'labels; a relative DIR goes into work_dir/<timestamp>/, as in '
                        'mmdet3d')
    add_show_args(parser)
    parser.add_argument('--task', choices=TASK_CHOICES,
                        help="what the pictures draw; taken from the model when left out "
                        "(mmdet3d's lidar_det / lidar_seg, or det / seg)")
    parser.add_argument('--score-thr', type=float, default=None,
                        help='draw every predicted box scoring at least this (default: '
                        'the 10 best)')
    parser.add_argument('--max-boxes', type=int, default=None,
                        help='draw at most this many predicted boxes (highest scores)')
    parser.add_argument('--show-interval', type=int, default=1,
                        help='draw every n-th test sample')
    parser.add_argument('--out', help="dump the predictions into this .pkl file "
                        "(mmengine's DumpResults)")
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation with the config's tta_model and "
                        'tta_pipeline (as mmdet3d: its segmentation configs have them)')
    return parse_runner_args(parser, argv)


def _use_tta(cfg) -> None:
    """Swap in the config's test-time augmentation, as mmdet3d's ``--tta`` does."""
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        raise ValueError(
            f'--tta: the config defines no {" and no ".join(missing)}. mmdet3d defines '
            'them for its segmentation data sets (e.g. _base_/datasets/s3dis-seg.py: '
            "tta_model = dict(type='Seg3DTTAModel'), tta_pipeline = [...]); the EPCL "
            'configs have none. Test without --tta, or add both to the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def _dump_predictions(cfg, out: str) -> None:
    """Add mmengine's ``DumpResults`` to the test metrics (mmdet's ``--out``)."""
    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out {out}: the predictions are pickled; give a .pkl file')
    metrics = cfg.test_evaluator
    metrics = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
    cfg.test_evaluator = metrics + [dict(type='DumpResults', out_file_path=out)]


def build_cfg(args):
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.task:
        resolve_task(args.task, cfg)  # the pictures draw what the model predicts
    if args.show:
        require_display()
    if args.show or args.show_dir:
        # in place of mmdet3d's Det3DVisualizationHook (open3d, a display, and a
        # vis_task to set); the same out-dir rule (work_dir/<timestamp>/DIR)
        cfg.setdefault('default_hooks', {})
        cfg.default_hooks['visualization'] = dict(
            type='EPCLVisualizationHook', out_dir=args.show_dir, score_thr=args.score_thr,
            max_boxes=args.max_boxes, interval=args.show_interval, show=args.show,
            wait_time=args.wait_time)
    if args.tta:
        _use_tta(cfg)
    if args.out:
        _dump_predictions(cfg, args.out)
    return cfg


def main(argv=None):
    run(build_cfg(parse_args(argv)), 'test')


if __name__ == '__main__':
    main()
