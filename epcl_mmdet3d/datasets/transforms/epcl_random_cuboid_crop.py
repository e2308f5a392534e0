"""3DETR's random cuboid crop as an mmdet3d transform."""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EPCLRandomCuboidCrop(BaseTransform):
    """Keep the points inside a random axis-aligned cuboid (3DETR's "random cuboid").

    The cuboid's size per axis is a random fraction in ``[min_crop, max_crop]`` of the
    scene's extent; sizes whose x/y, x/z or y/z ratio falls below ``aspect`` are
    redrawn. It is centred on a random point of the scene. A crop that keeps fewer than
    ``min_points`` points is redrawn; after ``max_trials`` failures the sample is left
    unchanged. Ground-truth boxes are kept when their gravity centre lies inside the
    cuboid (boxes are not clipped); point masks follow the points.

    Required keys: ``points``. Modified keys: ``points``, ``gt_bboxes_3d``,
    ``gt_labels_3d``, ``pts_semantic_mask``, ``pts_instance_mask`` (those present).

    Args:
        min_points: fewest points a crop must keep (3DETR on ScanNet: 30000).
        aspect: smallest ratio between two crop sides (3DETR: 0.8).
        min_crop: smallest crop fraction of the extent per axis (3DETR: 0.5).
        max_crop: largest crop fraction (3DETR: 1.0).
        max_trials: crops drawn before giving up (3DETR: 100).
        prob: probability of cropping at all.
    """

    def __init__(self, min_points: int = 30000, aspect: float = 0.8,
                 min_crop: float = 0.5, max_crop: float = 1.0, max_trials: int = 100,
                 prob: float = 1.0) -> None:
        if not 0 < min_crop <= max_crop:
            raise ValueError(f'need 0 < min_crop <= max_crop, got {min_crop}, {max_crop}')
        if not 0 <= aspect <= 1:
            raise ValueError(f'aspect is a ratio in [0, 1], got {aspect}')
        self.min_points = min_points
        self.aspect = aspect
        self.min_crop = min_crop
        self.max_crop = max_crop
        self.max_trials = max_trials
        self.prob = prob

    def _draw_mask(self, xyz: np.ndarray) -> Optional[Tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]]:
        """Draw a crop of the (N, 3) points.

        Returns:
            (mask (N,) bool, lo (3,), hi (3,)) of a valid crop, or None.
        """
        extent = xyz.max(0) - xyz.min(0)  # (3,)
        for _ in range(self.max_trials):
            frac = np.random.uniform(self.min_crop, self.max_crop, 3)
            ratios = frac[[0, 0, 1]] / frac[[1, 2, 2]]
            if (np.minimum(ratios, 1 / ratios) < self.aspect).any():
                continue
            centre = xyz[np.random.randint(len(xyz))]
            half = frac * extent / 2
            mask = (np.abs(xyz - centre) <= half).all(1)
            if mask.sum() >= self.min_points:
                return mask, centre - half, centre + half
        return None

    def transform(self, results: dict) -> dict:
        """Crop one sample (see the class docstring)."""
        if np.random.rand() > self.prob:
            return results
        points = results['points']
        xyz = points.coord.numpy()  # (N, 3)
        found = self._draw_mask(xyz)
        if found is None:
            return results
        mask, lo, hi = found
        results['points'] = points[mask]
        for key in ('pts_semantic_mask', 'pts_instance_mask'):
            if key in results:
                results[key] = results[key][mask]
        if 'gt_bboxes_3d' in results:
            centres = results['gt_bboxes_3d'].gravity_center.numpy()  # (G, 3)
            inside = ((centres >= lo) & (centres <= hi)).all(1)
            results['gt_bboxes_3d'] = results['gt_bboxes_3d'][inside]
            if 'gt_labels_3d' in results:
                results['gt_labels_3d'] = results['gt_labels_3d'][inside]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_points={self.min_points}, '
                f'aspect={self.aspect}, min_crop={self.min_crop}, '
                f'max_crop={self.max_crop}, max_trials={self.max_trials}, prob={self.prob})')
