"""Centre a point cloud and scale it into the unit sphere."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EPCLNormalizeUnitSphere(BaseTransform):
    """Subtract the centroid of xyz and divide by the largest point norm.

    Normals (columns 3:) are unchanged: a uniform scale does not rotate them.

    Required keys: ``points`` (P, C) numpy, C >= 3. Modified keys: ``points``.
    """

    def transform(self, results: dict) -> dict:
        points = np.array(results['points'], dtype=np.float32)  # (P, C)
        if points.ndim != 2 or points.shape[1] < 3 or len(points) == 0:
            raise ValueError(f'points must be (P, C>=3) with P > 0, got {points.shape}')
        xyz = points[:, :3] - points[:, :3].mean(axis=0)
        radius = np.linalg.norm(xyz, axis=1).max()
        points[:, :3] = xyz / max(float(radius), 1e-12)
        results['points'] = points
        return results
