"""Random anisotropic scaling and translation of xyz (Point-BERT's augmentation)."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EPCLScaleTranslate(BaseTransform):
    """``xyz * s + t`` with ``s ~ U(scale_range)^3`` and ``t ~ U(-shift, shift)^3``.

    Normals are left untouched (as in the reference implementations; the
    augmentation is mild and the default model reads xyz only).

    Args:
        scale_range: per-axis scale bounds, default (2/3, 3/2).
        translate: per-axis translation bound, default 0.2.

    Required keys: ``points`` (P, C). Modified keys: ``points``.
    """

    def __init__(self, scale_range=(2.0 / 3.0, 3.0 / 2.0), translate: float = 0.2):
        if not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'scale_range must be 0 < low <= high, got {scale_range}')
        self.scale_range = tuple(scale_range)
        self.translate = translate

    def transform(self, results: dict) -> dict:
        points = np.array(results['points'], dtype=np.float32)  # (P, C)
        scale = np.random.uniform(*self.scale_range, size=3)
        shift = np.random.uniform(-self.translate, self.translate, size=3)
        points[:, :3] = points[:, :3] * scale + shift
        results['points'] = points
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale_range={self.scale_range}, '
                f'translate={self.translate})')
