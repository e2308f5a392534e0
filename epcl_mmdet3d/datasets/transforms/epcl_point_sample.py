"""Choose a fixed number of points of a cloud (random, furthest point or prefix)."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS

from epcl_mmdet3d.ops import furthest_point_sample


@TRANSFORMS.register_module()
class EPCLPointSample(BaseTransform):
    """Sample ``num_points`` rows of ``points``.

    Args:
        num_points: points to keep.
        method: 'random' (uniform without replacement, a fresh draw each call),
            'fps' (furthest point sampling on xyz with the core's
            ``furthest_point_sample``; deterministic), or 'first' (the first
            ``num_points`` rows: with a cache written in FPS order this is the
            FPS sample, at no cost).
        shuffle: permute the kept points afterwards (the tokenizer's own FPS
            starts from the first point, so this varies its centres).
        allow_fewer: when the cloud has fewer points, repeat random points
            instead of raising.

    Required keys: ``points`` (P, C). Modified keys: ``points`` (num_points, C).
    """

    METHODS = ('random', 'fps', 'first')

    def __init__(self, num_points: int, method: str = 'random',
                 shuffle: bool = False, allow_fewer: bool = False) -> None:
        if method not in self.METHODS:
            raise ValueError(f"method must be one of {self.METHODS}, got '{method}'")
        if num_points <= 0:
            raise ValueError(f'num_points must be positive, got {num_points}')
        self.num_points = num_points
        self.method = method
        self.shuffle = shuffle
        self.allow_fewer = allow_fewer

    def transform(self, results: dict) -> dict:
        points = results['points']  # (P, C)
        num = len(points)
        if num < self.num_points:
            if not self.allow_fewer:
                source = (results.get('points_path') or results.get('shape_id')
                          or results.get('lidar_points', {}).get('lidar_path', 'a sample'))
                raise ValueError(
                    f'{source}: got {num} points, need {self.num_points} (num_points); '
                    'lower num_points, set allow_fewer=True to repeat points, or leave '
                    'the shape out')
            extra = np.random.randint(0, num, self.num_points - num)
            idx = np.concatenate([np.arange(num), extra])
        elif self.method == 'random':
            idx = np.random.choice(num, self.num_points, replace=False)
        elif self.method == 'fps':
            xyz = torch.from_numpy(np.ascontiguousarray(points[:, :3]))[None]
            idx = furthest_point_sample(xyz.float(), self.num_points)[0].numpy()
        else:
            idx = np.arange(self.num_points)
        if self.shuffle:
            idx = np.random.permutation(idx)
        results['points'] = points[idx]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_points={self.num_points}, '
                f"method='{self.method}', shuffle={self.shuffle})")
