"""Cost of reading info files with the data-only unpickler against plain pickle.

    python benchmarks/bench_info_files.py [--scenes 1500] [--repeat 7]

Writes a synthetic ScanNet info file of ``--scenes`` rooms with the synthetic ScanNet
writer (ScanNet v2 has 1513 scans), then times, median of ``--repeat`` loads each:
``pickle.load`` against :class:`InfoFileUnpickler`, for the file as written (pickle's
default protocol), as ``mmengine.dump`` writes it (protocol 2), and with every box and
matrix as a numpy array (as older mmdet3d infos hold them).
"""
import argparse
import io
import os.path as osp
import pickle
import tempfile
import time

import numpy as np

from epcl_mmdet3d.datasets.safe_info_files import InfoFileUnpickler
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet


def median_seconds(load, data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        load(io.BytesIO(data))
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def with_arrays(infos: dict) -> dict:
    """The same infos with lists of numbers as numpy arrays."""
    out = dict(metainfo=infos['metainfo'], data_list=[])
    for info in infos['data_list']:
        info = dict(info, axis_align_matrix=np.asarray(info['axis_align_matrix']))
        info['instances'] = [dict(bbox_3d=np.asarray(i['bbox_3d'], dtype=np.float32),
                                  bbox_label_3d=np.int64(i['bbox_label_3d']))
                             for i in info['instances']]
        out['data_list'].append(info)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--scenes', type=int, default=1500)
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        path = create_synthetic_scannet(root, num_train=args.scenes, num_val=1,
                                        num_points=1000)['train']
        with open(path, 'rb') as f:
            written = f.read()
    infos = pickle.loads(written)
    instances = sum(len(i['instances']) for i in infos['data_list'])
    variants = [
        ('as written (pickle default protocol)', written),
        ('mmengine.dump (protocol 2)', pickle.dumps(infos, protocol=2)),
        ('numpy arrays, protocol 2', pickle.dumps(with_arrays(infos), protocol=2)),
        ('numpy arrays, protocol 5', pickle.dumps(with_arrays(infos), protocol=5)),
    ]
    print(f'{osp.basename(path)}: {args.scenes} scenes, {instances} instances; '
          f'median of {args.repeat} loads')
    print(f'{"file":40s} {"size":>9s} {"pickle":>9s} {"safe":>9s} {"ratio":>6s}')
    for name, data in variants:
        plain = median_seconds(pickle.load, data, args.repeat)
        safe = median_seconds(lambda f: InfoFileUnpickler(f).load(), data, args.repeat)
        print(f'{name:40s} {len(data) / 1e6:7.2f}MB {plain * 1e3:7.1f}ms {safe * 1e3:7.1f}ms '
              f'{safe / plain:6.2f}')


if __name__ == '__main__':
    main()
