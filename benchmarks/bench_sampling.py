"""Time the sampling ops at detection scale and print the figures.

    python benchmarks/bench_sampling.py [--points 40000] [--tokens 2048] [--k 32]
"""
import argparse
import time

import torch

from epcl_mmdet3d.ops import furthest_point_sample, knn_query


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--points', type=int, default=40000)
    parser.add_argument('--tokens', type=int, default=2048)
    parser.add_argument('--k', type=int, default=32)
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    print(f'B={args.batch} N={args.points} M={args.tokens} K={args.k}, '
          f'{torch.get_num_threads()} threads')
    for device in devices:
        xyz = torch.rand(args.batch, args.points, 3, device=device) * 8
        fps = median_time(lambda: furthest_point_sample(xyz, args.tokens), args.repeat)
        centres = xyz[:, :args.tokens]
        knn = median_time(lambda: knn_query(centres, xyz, args.k), args.repeat)
        print(f'{device:5s} furthest_point_sample {fps * 1e3:9.1f} ms   '
              f'knn_query {knn * 1e3:9.1f} ms')


if __name__ == '__main__':
    main()
