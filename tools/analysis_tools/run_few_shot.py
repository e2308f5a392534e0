"""Train and test every fold of a few-shot setting; print mean +- std (the paper's Table 3).

Each fold is one mmengine Runner: its config is the given few-shot config with
the fold file set on every data set and ``num_classes`` set to the fold's way.
The number of a fold is the test accuracy of the model at the end of training
(no model selection on the test shapes). Results also go to
``<work-dir>/results.json``.

Example:
    python tools/dataset_converters/modelnet40_cache_points.py ...            # optional
    python tools/dataset_converters/modelnet40_few_shot_folds.py data/modelnet40_normal_resampled
    python tools/analysis_tools/run_few_shot.py configs/few_shot/epcl_modelnet40_fewshot_5w10s.py \
        --folds-dir data/modelnet40_normal_resampled/few_shot_folds --setting 5w10s
"""
import argparse
import glob
import json
import os
import os.path as osp
import time

import numpy as np
from mmengine.config import Config, DictAction

from epcl_mmdet3d.datasets.modelnet40 import fold_file_name, read_fold
from epcl_mmdet3d.engine import build_runner


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--folds-dir', required=True)
    parser.add_argument('--setting', required=True, help='e.g. 5w10s')
    parser.add_argument('--folds', type=int, nargs='+', default=None,
                        help='fold indices to run (default: all found)')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--metric', default='cls/overall_acc')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def fold_config(base: Config, fold_path: str, work_dir: str) -> Config:
    """The config of one fold."""
    cfg = base.copy()
    fold = read_fold(fold_path)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is not None:
            cfg[key].dataset.fold_file = osp.abspath(fold_path)
    cfg.model.num_classes = len(fold['classes'])
    cfg.model.class_names = None  # EPCLClassNamesHook sets the fold's names
    cfg.work_dir = work_dir
    # Unique per fold: mmengine keys its logger / visualizer instances by it.
    cfg.experiment_name = f'{osp.basename(work_dir)}_{time.strftime("%Y%m%d_%H%M%S")}'
    return cfg


def main():
    args = parse_args()
    base = Config.fromfile(args.config)
    if args.cfg_options:
        base.merge_from_dict(args.cfg_options)
    work_root = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0], args.setting)
    paths = sorted(glob.glob(osp.join(args.folds_dir, args.setting, 'fold_*.json')),
                   key=lambda p: int(p.rsplit('_', 1)[1].split('.')[0]))
    if args.folds is not None:
        paths = [osp.join(args.folds_dir, fold_file_name(args.setting, i))
                 for i in args.folds]
    if not paths:
        raise FileNotFoundError(
            f'no folds in {osp.join(args.folds_dir, args.setting)}; create them with '
            'tools/dataset_converters/modelnet40_few_shot_folds.py')
    results = {}
    for path in paths:
        name = osp.splitext(osp.basename(path))[0]
        runner = build_runner(fold_config(base, path, osp.join(work_root, name)))
        runner.train()
        metrics = runner.test()
        if args.metric not in metrics:
            raise KeyError(f'{args.metric} not among the test metrics {sorted(metrics)}')
        results[name] = float(metrics[args.metric])
        print(f'{args.setting} {name}: {results[name]:.2f}', flush=True)
    accs = np.array(list(results.values()))
    summary = dict(setting=args.setting, metric=args.metric, folds=results,
                   mean=float(accs.mean()), std=float(accs.std()))
    os.makedirs(work_root, exist_ok=True)
    with open(osp.join(work_root, 'results.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(f'\n| setting | folds | {args.metric} (mean +- std) |\n|---|---|---|\n'
          f'| {args.setting} | {len(accs)} | {accs.mean():.1f} +- {accs.std():.1f} |')


if __name__ == '__main__':
    main()
