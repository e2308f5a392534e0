"""Write a small synthetic data set in mmdet3d's ScanNet layout (for the demo and tests).

Example:
    python tools/create_demo_scannet.py data/demo_scannet_det --num-train 32 --num-val 8
"""
import argparse

from epcl_mmdet3d.datasets.synthetic import create_scannet_like_dataset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/demo_scannet_det')
    parser.add_argument('--num-train', type=int, default=32)
    parser.add_argument('--num-val', type=int, default=8)
    parser.add_argument('--num-points', type=int, default=20000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    written = create_scannet_like_dataset(args.out_dir, args.num_train, args.num_val,
                                          args.num_points, args.seed)
    for split, path in written.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
