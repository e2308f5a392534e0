"""Predict on your own point files: boxes (detector) or per-point labels (segmentor).

    python tools/infer.py CONFIG CHECKPOINT POINTS [POINTS ...] [--out-dir DIR]
        [--score-thr T] [--device cpu|cuda:0] [--cfg-options k=v ...]

POINTS: ``.bin`` (float32, the config's load_dim values per point, as mmdet3d's data
files), ``.npy`` ((N, C) array), ``.ply`` (vertex properties in file order, e.g.
x y z red green blue) or ``.txt`` / ``.xyz`` (one point per line). The columns must
cover the config's ``use_dim`` (x, y, z first; then r, g, b 0..255 where the config
reads colour). For each file: the predictions are printed, and ``DIR/<name>.json`` and
``DIR/<name>.png`` (headless picture) are written. CONFIG is a file or a shipped config
by name, e.g. ``epcl_mmdet3d::epcl_scannet_det_demo.py``.

This is mmdet3d's ``init_model`` + ``inference_detector`` / ``inference_segmentor``
(see ``epcl_mmdet3d.apis.infer_point_file``) with point-file reading and pictures.
"""
import argparse
import json
import os
import os.path as osp
import warnings

from mmengine.config import Config, DictAction

import epcl_mmdet3d  # noqa: F401  (registers the modules, allow-lists checkpoints)
from epcl_mmdet3d.apis import infer_point_file, prediction_to_dict
from epcl_mmdet3d.utils import resolve_config
from epcl_mmdet3d.visualization import render_data_sample


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict on point files')
    parser.add_argument('config', help='model config file (or epcl_mmdet3d::NAME.py)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('points', nargs='+', help='.bin / .npy / .ply / .txt / .xyz files')
    parser.add_argument('--out-dir', default='outputs', help='where JSON and PNG files go')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='detection: boxes scoring less are not printed or drawn')
    parser.add_argument('--max-boxes', type=int, default=20,
                        help='detection: draw at most this many boxes')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda:0'")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmdet3d.apis import init_model

    cfg = Config.fromfile(resolve_config(args.config))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message="Don't suggest using CPU device")
        model = init_model(cfg, args.checkpoint, device=args.device)
    classes = list(model.dataset_meta.get('classes') or [])
    palette = model.dataset_meta.get('palette')
    os.makedirs(args.out_dir, exist_ok=True)
    for path in args.points:
        res = infer_point_file(model, path)
        summary = prediction_to_dict(res['sample'], classes, res['task'])
        name = osp.splitext(osp.basename(path))[0]
        if res['task'] == 'det':
            summary['boxes'] = [b for b in summary['boxes'] if b['score'] >= args.score_thr]
            print(f'{path}: {len(summary["boxes"])} boxes scoring >= {args.score_thr}')
            for b in summary['boxes']:
                print(f'  {b["class"]:<12} {b["score"]:.3f}  centre {b["center"]}  '
                      f'size {b["size"]}')
        else:
            print(f'{path}: {len(summary["labels"])} points; ' + ', '.join(
                f'{k} {v}' for k, v in sorted(summary['class_counts'].items(),
                                              key=lambda kv: -kv[1])))
        json_path = osp.join(args.out_dir, f'{name}.json')
        with open(json_path, 'w') as f:
            json.dump(dict(file=path, config=args.config, checkpoint=args.checkpoint,
                           task=res['task'], **summary), f)
        png = render_data_sample(res['points'], res['sample'],
                                 osp.join(args.out_dir, f'{name}.png'), classes,
                                 palette=palette if isinstance(palette, list) else None,
                                 score_thr=args.score_thr, max_boxes=args.max_boxes,
                                 title=f'{name}: {osp.basename(args.checkpoint)}')
        print(f'  wrote {json_path} and {png}')


if __name__ == '__main__':
    main()
