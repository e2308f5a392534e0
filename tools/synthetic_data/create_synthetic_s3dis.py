"""Write a small synthetic S3DIS data set in mmdetection3d's converted layout.

    python tools/synthetic_data/create_synthetic_s3dis.py data/demo_s3dis
    python tools/train.py configs/epcl_s3dis_seg_demo.py

Rooms (floor, ceiling, walls, door, window, board, beam, column, tables, chairs,
sofa, bookcase, clutter) labelled with the 13 S3DIS classes, written as
``tools/create_data.py s3dis`` of mmdetection3d 1.4 writes real S3DIS: points/,
instance_mask/, semantic_mask/, s3dis_infos_Area_{1..6}.pkl and
seg_info/Area_*_resampled_scene_idxs.npy / Area_*_label_weight.npy.
"""
import argparse

from epcl_mmdet3d.datasets.synthetic import create_synthetic_s3dis


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='data root to write (e.g. data/demo_s3dis)')
    parser.add_argument('--rooms-per-area', type=int, default=2)
    parser.add_argument('--areas', type=int, nargs='+', default=[1, 2, 3, 4, 5, 6])
    parser.add_argument('--density', type=float, default=150.0,
                        help='surface points per square metre')
    parser.add_argument('--num-points', type=int, default=512,
                        help='block size behind the resampled scene indices (the '
                        'real converter uses 4096; match the config\'s num_points)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    paths = create_synthetic_s3dis(args.out_dir, rooms_per_area=args.rooms_per_area,
                              areas=args.areas, seed=args.seed,
                              density=args.density, num_points=args.num_points)
    for path in paths:
        print(f'wrote {path}')


if __name__ == '__main__':
    main()
