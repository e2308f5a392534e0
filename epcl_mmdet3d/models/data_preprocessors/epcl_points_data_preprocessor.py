"""Move a batch of equal-size point clouds to the device and stack it."""

from mmdet3d.registry import MODELS
from mmengine.model import BaseDataPreprocessor

from ..utils import stack_points


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
        points = stack_points(data['inputs']['points'],
                              'EPCLPointSample(num_points=...)')  # (B, N, C)
        return dict(inputs=dict(points=points.float()),
                    data_samples=data.get('data_samples'))
