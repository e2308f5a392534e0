"""Predict on your own point files: boxes (detector) or per-point labels (segmentor).

    epcl-infer CONFIG CHECKPOINT POINTS [POINTS ...] [--out-dir DIR] [--seed S]
        [--score-thr T] [--max-boxes K] [--classes "chair, whiteboard, plant"]
        [--device cpu|cuda:0] [--show [--wait-time S]] [--cfg-options k=v ...]
    (also: python -m epcl_mmdet3d.tools.infer ..., python tools/infer.py ...)

POINTS: ``.bin`` (float32, the config's load_dim values per point, as mmdet3d's data
files), ``.npy`` ((N, C) array or named fields), ``.ply`` (vertex properties read by
name) or ``.txt`` / ``.xyz`` / ``.csv`` (one point per line, optionally under a header of
names). Named columns are found by name: x, y, z, then red, green, blue (0..255, where
the config reads colour); unnamed ones are taken in file order. Coordinates are metres:
integer coordinates are refused, float64 ones converted (with a warning), and a scene
wider than any room is warned about.

For each file, the predictions are printed, and ``DIR/<file name>.json`` and
``DIR/<file name>.png`` are written (``scan.ply`` -> ``scan.ply.json``, so files of one
stem do not overwrite each other; a name met twice gets ``-2``, ``-3``, ...). The JSON
holds every prediction (those scoring at least ``--score-thr`` when given), the seed,
the number of points read and used, and how its boxes are laid out (mmdet3d's bottom
centre). The picture draws every point of the file (thinned for speed) with the 10 best
boxes, or those scoring at least ``--score-thr``. CONFIG is a file or a shipped config
by name, e.g. ``epcl_mmdet3d::epcl_scannet_det_demo.py``.

``--classes`` names what to look for, with any words, for a model trained with an
open-vocabulary head (``cls_classifier=dict(type='EPCLTextEmbeddingClassifier')``, see
docs/open_vocabulary.md): the JSON and the picture name the boxes or points with those
words. A model with a fixed classifier refuses names other than its own.

This is mmdet3d's ``init_model`` + ``inference_detector`` / ``inference_segmentor``
(see ``epcl_mmdet3d.apis.infer_point_file``) with point-file reading and pictures.
"""
import argparse
import json
import os
import os.path as osp
import warnings
from typing import List, Sequence

import numpy as np
from mmengine.config import DictAction

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.apis import infer_point_file, prediction_to_dict, set_model_classes
from epcl_mmdet3d.tools.config_args import read_config
from epcl_mmdet3d.tools.mmdet3d_flags import add_show_args
from epcl_mmdet3d.visualization import render_data_sample
from epcl_mmdet3d.visualization.det_render import select_boxes
from epcl_mmdet3d.visualization.png_window import require_display, show_png


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict on point files')
    parser.add_argument('config', help='model config file (or epcl_mmdet3d::NAME.py)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('points', nargs='+',
                        help='.bin / .npy / .ply / .txt / .xyz / .csv files')
    parser.add_argument('--out-dir', default='outputs', help='where JSON and PNG files go')
    parser.add_argument('--seed', type=int, default=0,
                        help="seed of the config's random point sample (PointSample), so "
                        'a file gives the same predictions every run')
    parser.add_argument('--score-thr', type=float, default=None,
                        help='detection: keep (print, draw, write) the boxes scoring at '
                        'least this; default: write all, print and draw the 10 best')
    parser.add_argument('--max-boxes', type=int, default=None,
                        help='detection: print and draw at most this many boxes')
    parser.add_argument('--classes', default=None,
                        help='comma-separated class names to predict, e.g. "chair, '
                        'whiteboard, plant" (a model with an open-vocabulary head); '
                        "default: the checkpoint's classes")
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda:0'")
    add_show_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    return parser.parse_args(argv)


def output_names(paths: Sequence[str]) -> List[str]:
    """One output name per input file: its file name, made unique with ``-2``, ``-3``...

    ``scan.ply``, ``scan.npy`` and ``scan.txt`` stay apart (the suffix is kept); two
    ``scan.ply`` of different folders become ``scan.ply`` and ``scan.ply-2``.
    """
    names, seen = [], set()
    for path in paths:
        base = osp.basename(path)
        name, count = base, 1
        while name in seen:
            count += 1
            name = f'{base}-{count}'
        seen.add(name)
        names.append(name)
    return names


def main(argv=None):
    args = parse_args(argv)
    from mmdet3d.apis import init_model

    if args.show:
        require_display()
    cfg = read_config(args.config, args.cfg_options)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message="Don't suggest using CPU device")
        model = init_model(cfg, args.checkpoint, device=args.device)
    classes = set_model_classes(model, args.classes)
    palette = model.dataset_meta.get('palette')
    os.makedirs(args.out_dir, exist_ok=True)
    for path, name in zip(args.points, output_names(args.points)):
        res = infer_point_file(model, path, seed=args.seed)
        summary = prediction_to_dict(res['sample'], classes, res['task'])
        print(f'{path}: read {res["num_points_read"]} points '
              f'({", ".join(res["columns"])}); the model used {res["num_points_used"]} '
              f'(the config\'s test pipeline), seed {args.seed}')
        if res['task'] == 'det':
            boxes = summary['boxes']
            if args.score_thr is not None:
                boxes = summary['boxes'] = [b for b in boxes if b['score'] >= args.score_thr]
            keep, which = select_boxes(np.array([b['score'] for b in boxes]),
                                       args.score_thr, args.max_boxes)
            print(f'  boxes {which} ({summary["box_type_3d"]} boxes, bottom centre):')
            for b in (boxes[i] for i in keep):
                print(f'  {b["class"]:<12} {b["score"]:.3f}  bottom centre '
                      f'{b["bottom_center"]}  size {b["size"]}  yaw {b["yaw"]}')
        else:
            print(f'  {len(summary["labels"])} points labelled: ' + ', '.join(
                f'{k} {v}' for k, v in sorted(summary['class_counts'].items(),
                                              key=lambda kv: -kv[1])))
        json_path = osp.join(args.out_dir, f'{name}.json')
        with open(json_path, 'w') as f:
            json.dump(dict(file=path, config=args.config, checkpoint=args.checkpoint,
                           task=res['task'], seed=args.seed, classes=classes,
                           columns=res['columns'],
                           num_points_read=res['num_points_read'],
                           num_points_used=res['num_points_used'], **summary), f)
        # detection: every point of the file; segmentation: the labelled points
        points = res['file_points'] if res['task'] == 'det' else res['points']
        png = render_data_sample(
            points, res['sample'], osp.join(args.out_dir, f'{name}.png'), classes,
            palette=palette if isinstance(palette, list) else None,
            score_thr=args.score_thr, max_boxes=args.max_boxes,
            title=f'{osp.basename(path)}: predictions of {osp.basename(args.checkpoint)} '
            f'(no ground truth)')
        print(f'  wrote {json_path} and {png}')
        if args.show:
            show_png(png, args.wait_time)


if __name__ == '__main__':
    main()
