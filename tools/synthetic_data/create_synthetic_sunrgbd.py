"""Write a small synthetic data set in mmdet3d's SUN RGB-D layout (yawed boxes; for the
SUN RGB-D demo config and tests).

Example:
    python tools/synthetic_data/create_synthetic_sunrgbd.py data/demo_sunrgbd_det \\
        --num-train 256 --num-val 16
"""
import argparse

from epcl_mmdet3d.datasets.synthetic import create_synthetic_sunrgbd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/demo_sunrgbd_det')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=16)
    parser.add_argument('--num-points', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    written = create_synthetic_sunrgbd(args.out_dir, args.num_train, args.num_val,
                                       args.num_points, args.seed)
    for split, path in written.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
