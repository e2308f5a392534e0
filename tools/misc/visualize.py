"""Render a model's predictions on one scene to PNG (headless).

Examples:
    python tools/misc/visualize.py configs/epcl_scannet_det.py work_dirs/x/epoch_216.pth \\
        --index 0 --out scene0.png
    python tools/misc/visualize.py configs/epcl_s3dis_seg_demo.py work_dirs/y/epoch_8.pth \\
        --split test --index 0 --out room0.png

det: predicted (class and score; the 10 best, or those scoring at least --score-thr) and
true (class) boxes over every point of the scene, top view and 3D view.
seg: predicted vs true label of every point of a whole room (sliding-window
inference where the config's test_cfg asks for it), ceiling hidden.
``--task`` (det / seg, or mmdet3d's lidar_det / lidar_seg) is taken from the config's
model when left out, and checked against it when given. ``--show`` also opens a window
for ``--wait-time`` seconds where a display exists.
"""
import argparse
import os
import os.path as osp

from mmdet3d.registry import DATASETS, MODELS
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from epcl_mmdet3d.tools.mmdet3d_flags import TASK_CHOICES, add_show_args, resolve_task
from epcl_mmdet3d.utils import resolve_config
from epcl_mmdet3d.visualization.png_window import require_display, show_png


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw predictions over a point cloud')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--task', choices=TASK_CHOICES,
                        help="what to draw (det: 3D boxes; seg: per-point labels); taken "
                        "from the config's model when left out")
    parser.add_argument('--index', type=int, default=0, help='scene index in the split')
    parser.add_argument('--split', choices=['val', 'test', 'train'], default='val',
                        help='which dataloader of the config provides the scene')
    parser.add_argument('--out', default='prediction.png', help='PNG file to write')
    parser.add_argument('--score-thr', type=float, default=None,
                        help='draw predicted boxes scoring at least this (default: the 10 '
                        'best)')
    parser.add_argument('--max-boxes', type=int, default=None,
                        help='draw at most this many predictions (highest scores)')
    parser.add_argument('--device', default='cpu')
    add_show_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. data_root=...')
    return parser.parse_args(argv)


def build_dataset(cfg, split):
    """The data set of ``{split}_dataloader``, with the test pipeline for 'train'."""
    ds_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    if split == 'train':
        while 'dataset' in ds_cfg:  # unwrap RepeatDataset and friends
            ds_cfg = ds_cfg.dataset.copy()
        ds_cfg.pipeline = cfg.test_dataloader.dataset.pipeline
        ds_cfg.test_mode = True
    return DATASETS.build(ds_cfg)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(resolve_config(args.config))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    task = resolve_task(args.task, cfg)
    if task == 'cls':
        raise ValueError(f'{cfg.model["type"]} is a classifier: it predicts a class per '
                         'shape, with no boxes or per-point labels to draw; use '
                         'tools/test.py for its accuracy')
    if args.show:
        require_display()
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.to(args.device).eval()
    dataset = build_dataset(cfg, args.split)
    if task == 'det':
        from epcl_mmdet3d.visualization import predict_det_scene, render_det_scene
        res = predict_det_scene(model, dataset, args.index)
        render_det_scene(res['points'], args.out, res['pred_boxes'], res['pred_labels'],
                         res['pred_scores'], res['gt_boxes'], res['gt_labels'],
                         res['class_names'], score_thr=args.score_thr,
                         max_boxes=args.max_boxes,
                         title=f"{res['scene']}: {osp.basename(args.checkpoint)}")
    else:
        from epcl_mmdet3d.visualization import render_dataset_predictions
        out_dir = osp.dirname(osp.abspath(args.out))
        [(path, acc, num)] = render_dataset_predictions(model, dataset, [args.index],
                                                        out_dir)
        os.replace(path, args.out)
        print(f'{num} points, point accuracy {acc:.3f}')
    print(f'wrote {args.out}')
    if args.show:
        show_png(args.out, args.wait_time)


if __name__ == '__main__':
    main()
