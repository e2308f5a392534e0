"""Write deterministic few-shot folds (JSON, one per fold) for a ModelNet40-layout data set.

Fold ``i`` of a setting uses seed ``seed * 1000 + i``: the same data set and
seed always give the same folds.

Example:
    python tools/dataset_converters/modelnet40_few_shot_folds.py data/modelnet40_normal_resampled \
        --settings 5w10s 5w20s 10w10s 10w20s 30w10s 16shot --num-folds 10
    -> data/modelnet40_normal_resampled/few_shot_folds/5w10s/fold_0.json ...
"""
import argparse
import os
import os.path as osp

from epcl_mmdet3d.datasets.modelnet40 import (
    FEW_SHOT_SETTINGS,
    fold_file_name,
    make_setting_folds,
    write_fold,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--settings', nargs='+', default=list(FEW_SHOT_SETTINGS),
                        choices=list(FEW_SHOT_SETTINGS))
    parser.add_argument('--num-folds', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--test-per-class', type=int, default=-1,
                        help='-1: the setting default (20; all test shapes for '
                        '16shot), 0: all test shapes, n: n per class')
    parser.add_argument('--out-dir', default=None,
                        help='default: <data_root>/few_shot_folds')
    return parser.parse_args()


def main():
    args = parse_args()
    out_dir = args.out_dir or osp.join(args.data_root, 'few_shot_folds')
    test_per_class = None if args.test_per_class == 0 else args.test_per_class
    for setting in args.settings:
        folds = make_setting_folds(args.data_root, setting, args.num_folds,
                                   args.seed, test_per_class)
        os.makedirs(osp.join(out_dir, setting), exist_ok=True)
        for fold in folds:
            write_fold(osp.join(out_dir, fold_file_name(setting, fold['fold'])), fold)
        print(f'{setting}: {len(folds)} folds, {len(folds[0]["classes"])} classes, '
              f'{len(folds[0]["train"])} train / {len(folds[0]["test"])} test shapes '
              f'per fold -> {osp.join(out_dir, setting)}')


if __name__ == '__main__':
    main()
