"""Move a batch of equal-size point clouds to the device and stack it."""

import torch
from mmengine.model import BaseDataPreprocessor

from mmdet3d.registry import MODELS


@MODELS.register_module()
class EPCLPointsDataPreprocessor(BaseDataPreprocessor):
    """Stack ``inputs['points']`` (a list of B (N, C) tensors) into (B, N, C).

    mmdet3d's ``Det3DDataPreprocessor`` keeps points as a per-sample list (it
    is built for scenes of varying size, with optional voxelisation and image
    normalisation); a classifier reads fixed-size clouds as one batch tensor,
    so this preprocessor stacks them and says so when the sizes differ.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        points = data['inputs']['points']
        if isinstance(points, (list, tuple)):
            sizes = {tuple(p.shape) for p in points}
            if len(sizes) != 1:
                raise ValueError(
                    f'point clouds of different shapes in one batch: {sorted(sizes)}; '
                    'add EPCLPointSample(num_points=...) to the pipeline')
            points = torch.stack(list(points))  # (B, N, C)
        if points.dim() != 3:
            raise ValueError(f'points must stack to (B, N, C), got {tuple(points.shape)}')
        return dict(inputs=dict(points=points.float()),
                    data_samples=data.get('data_samples'))
