"""3DETR's random cuboid crop as an mmdet3d transform."""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EPCLRandomCuboidCrop(BaseTransform):
    """Keep the points inside a random axis-aligned cuboid (3DETR's "random cuboid").

    As 3DETR's ``RandomCuboid`` (``utils/random_cuboid.py``): the cuboid's size per axis
    is a random fraction in ``[min_crop, max_crop]`` of the scene's extent, accepted when
    at least one of the x/y, x/z, y/z side pairs has a min / max ratio >= ``aspect``. It
    is centred on a random point of the scene. A crop is redrawn when it keeps fewer than
    ``min_points`` points, or when the scene has boxes and none of their gravity centres
    lies within the extent (min / max) of the kept points; boxes whose centre does are
    kept (not clipped). A scene without boxes takes any crop. After ``max_trials``
    failed draws the sample is left unchanged. Point masks follow the points.

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

    def _aspect_ok(self, frac: np.ndarray) -> bool:
        """3DETR's ``check_aspect``: some pair of sides has min / max >= ``aspect``."""
        pairs = ((0, 1), (0, 2), (1, 2))
        return any(min(frac[i], frac[j]) / max(frac[i], frac[j]) >= self.aspect
                   for i, j in pairs)

    def _draw(self, xyz: np.ndarray, centres: Optional[np.ndarray]
              ) -> Optional[Tuple[np.ndarray, Optional[np.ndarray]]]:
        """Draw a crop of the (N, 3) points.

        Args:
            xyz: (N, 3) points.
            centres: (G, 3) box gravity centres, or None without boxes.

        Returns:
            (point mask (N,) bool, box mask (G,) bool or None) of a valid crop, or None
            after ``max_trials`` failed draws.
        """
        extent = xyz.max(0) - xyz.min(0)  # (3,)
        for _ in range(self.max_trials):
            frac = np.random.uniform(self.min_crop, self.max_crop, 3)
            if not self._aspect_ok(frac):
                continue
            centre = xyz[np.random.randint(len(xyz))]
            half = frac * extent / 2
            mask = (np.abs(xyz - centre) <= half).all(1)  # (N,)
            if mask.sum() < self.min_points:
                continue
            if centres is None or len(centres) == 0:
                return mask, None
            kept = xyz[mask]
            box_mask = ((centres >= kept.min(0)) & (centres <= kept.max(0))).all(1)  # (G,)
            if not box_mask.any():
                continue  # the crop removed every box: draw again
            return mask, box_mask
        return None

    def transform(self, results: dict) -> dict:
        """Crop one sample (see the class docstring)."""
        if np.random.rand() > self.prob:
            return results
        points = results['points']
        xyz = points.coord.numpy()  # (N, 3)
        boxes = results.get('gt_bboxes_3d')
        centres = boxes.gravity_center.numpy() if boxes is not None else None  # (G, 3)
        found = self._draw(xyz, centres)
        if found is None:
            return results
        mask, box_mask = found
        results['points'] = points[mask]
        for key in ('pts_semantic_mask', 'pts_instance_mask'):
            if key in results:
                results[key] = results[key][mask]
        if box_mask is not None:
            results['gt_bboxes_3d'] = boxes[box_mask]
            if 'gt_labels_3d' in results:
                results['gt_labels_3d'] = results['gt_labels_3d'][box_mask]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_points={self.min_points}, '
                f'aspect={self.aspect}, min_crop={self.min_crop}, '
                f'max_crop={self.max_crop}, max_trials={self.max_trials}, prob={self.prob})')
