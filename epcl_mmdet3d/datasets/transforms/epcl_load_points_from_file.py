"""mmdet3d's LoadPointsFromFile with checks that name the file when its data is wrong."""
import os.path as osp

import numpy as np
from mmdet3d.datasets.transforms import LoadPointsFromFile
from mmdet3d.registry import TRANSFORMS

from ...ops._validation import check_xyz

_MASK_KEYS = ('pts_semantic_mask_path', 'pts_instance_mask_path')


@TRANSFORMS.register_module()
class EPCLLoadPointsFromFile(LoadPointsFromFile):
    """``LoadPointsFromFile`` (same arguments and output) that refuses broken point files.

    Every error names the point file (and the scene's ``sample_idx`` when the info has
    one) and says what to do:

    - a file whose size is not a whole number of points (``load_dim`` float32 values
      each): truncated, or ``load_dim`` is wrong;
    - fewer than ``min_points`` points;
    - a point count different from the scene's per-point mask files (ScanNet / S3DIS
      ``pts_semantic_mask_path`` / ``pts_instance_mask_path``, ``mask_dtype`` entries):
      catches a file cut to a whole number of points, which would otherwise pass and be
      padded by sampling, and a mask of the wrong length;
    - NaN / Inf values, and coordinates beyond the range float32 distances hold.

    Args:
        min_points: fewest points a scene may hold.
        mask_dtype: dtype of the mask files (mmdet3d's converters write int64).
        **kwargs: ``LoadPointsFromFile``'s arguments.
    """

    def __init__(self, *args, min_points: int = 1, mask_dtype: str = 'int64',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.min_points = min_points
        self.mask_itemsize = np.dtype(mask_dtype).itemsize

    def _load_points(self, pts_filename: str) -> np.ndarray:
        try:
            points = super()._load_points(pts_filename)  # flat float32
        except ValueError as err:  # numpy: "buffer size must be a multiple of element size"
            raise self._not_whole(pts_filename, osp.getsize(pts_filename)) from err
        if points.size % self.load_dim:
            raise self._not_whole(pts_filename, points.size * 4)
        return points

    def _not_whole(self, path: str, size: int) -> ValueError:
        return ValueError(
            f'{path}: {size:,} bytes are not a whole number of points of load_dim='
            f'{self.load_dim} float32 values ({4 * self.load_dim} bytes each); the file is '
            'truncated (re-create it) or load_dim does not match its layout')

    def transform(self, results: dict) -> dict:
        path = results['lidar_points']['lidar_path']
        where = f'{path}' + (f' (scene {results["sample_idx"]})'
                             if 'sample_idx' in results else '')
        results = super().transform(results)
        points = results['points'].tensor.numpy()  # (N, C)
        count = len(points)
        if count < self.min_points:
            raise ValueError(f'{where} holds {count} points, fewer than min_points='
                             f'{self.min_points}; re-create the file or leave the scene out')
        for key in _MASK_KEYS:
            mask = results.get(key)
            if mask and '://' not in str(mask) and osp.isfile(mask):
                entries = osp.getsize(mask) // self.mask_itemsize
                if entries != count:
                    raise ValueError(
                        f'{where} holds {count} points but its mask {mask} has {entries} '
                        'entries (one per point expected): one of the two files is '
                        'truncated or belongs to another scene; re-create them')
        finite = np.isfinite(points).all(1)
        if not finite.all():
            raise ValueError(f'{where} holds {int((~finite).sum())} point(s) with NaN or '
                             f'Inf values (first: point {int(np.argmin(finite))}); clean the '
                             'file (drop those points)')
        check_xyz(results['points'].tensor[None, :, :3], sources=[where])  # the range
        return results
