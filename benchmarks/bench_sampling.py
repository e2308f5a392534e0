"""Time the sampling ops at detection scale, and where the CPU kNN paths cross over.

    python benchmarks/bench_sampling.py [--points 40000] [--tokens 2048] [--k 32]
        [--no-crossover]

The crossover table times both CPU kNN paths (the compiled scan and the k-d tree)
on the same clouds for growing M * N, checks they return the same neighbours, and
shows which one ``knn_query`` picks (``KDTREE_MIN_WORK``).
"""
import argparse
import time

import numpy as np
import torch

from epcl_mmdet3d.ops import furthest_point_sample, knn_query
from epcl_mmdet3d.ops import knn as knn_module

# (B, N, M, K): the classification, segmentation and detection settings and sizes between
CROSSOVER_SIZES = [(32, 1024, 64, 32), (8, 1024, 256, 32), (8, 2048, 512, 32),
                   (8, 4096, 2048, 32), (2, 10000, 512, 64), (2, 20000, 1024, 64),
                   (2, 40000, 2048, 64)]


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def crossover(repeat):
    print('CPU kNN paths (same clouds, same neighbours checked):')
    print(f'{"B":>3} {"N":>6} {"M":>5} {"K":>3} {"M*N":>9} {"scan ms":>9} {"tree ms":>9} '
          f'{"speed-up":>8}  picked')
    rng = np.random.default_rng(0)
    for b, n, m, k in CROSSOVER_SIZES:
        xyz = (rng.random((b, n, 3)) * 8).astype(np.float32)
        query = np.ascontiguousarray(xyz[:, :m])
        scan = knn_module._knn_cpu_kernel(query, xyz, k)  # also compiles once
        if not np.array_equal(scan, knn_module._knn_kdtree(query, xyz, k)):
            raise RuntimeError(f'kNN paths disagree at B={b} N={n} M={m} K={k}')
        t_scan = median_time(lambda: knn_module._knn_cpu_kernel(query, xyz, k), repeat)
        t_tree = median_time(lambda: knn_module._knn_kdtree(query, xyz, k), repeat)
        picked = 'tree' if m * n >= knn_module.KDTREE_MIN_WORK else 'scan'
        print(f'{b:3d} {n:6d} {m:5d} {k:3d} {m * n:9.2e} {t_scan * 1e3:9.1f} '
              f'{t_tree * 1e3:9.1f} {t_scan / t_tree:7.2f}x  {picked}')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--points', type=int, default=40000)
    parser.add_argument('--tokens', type=int, default=2048)
    parser.add_argument('--k', type=int, default=32)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--no-crossover', action='store_true')
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
    if not args.no_crossover:
        crossover(args.repeat)


if __name__ == '__main__':
    main()
