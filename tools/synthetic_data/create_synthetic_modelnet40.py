"""Write a synthetic data set in the modelnet40_normal_resampled layout.

Example:
    python tools/synthetic_data/create_synthetic_modelnet40.py data/demo_synthetic_modelnet \
        --train-per-class 40 --test-per-class 20 --num-points 2048
"""
import argparse

from epcl_mmdet3d.datasets.synthetic import SHAPE_SAMPLERS, create_synthetic_modelnet40


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='data root to write')
    parser.add_argument('--classes', nargs='+', default=None,
                        help=f'subset of {sorted(SHAPE_SAMPLERS)} (default: all)')
    parser.add_argument('--train-per-class', type=int, default=40)
    parser.add_argument('--test-per-class', type=int, default=20)
    parser.add_argument('--num-points', type=int, default=2048,
                        help='points per shape file (real ModelNet40 has 10000)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    create_synthetic_modelnet40(args.out_dir, args.classes, args.train_per_class,
                             args.test_per_class, args.num_points, args.seed,
                             progress=True)
    print(f'wrote {args.out_dir}')


if __name__ == '__main__':
    main()
