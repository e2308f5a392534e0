"""Pack a classification sample into model inputs and a data sample."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS
from mmdet3d.structures import Det3DDataSample
from mmengine.structures import LabelData


@TRANSFORMS.register_module()
class EPCLPackClsInputs(BaseTransform):
    """``inputs['points']`` (P, C) float tensor and a ``Det3DDataSample``.

    The data sample carries the label as ``gt_label`` (a ``LabelData`` whose
    ``label`` is a (1,) long tensor), the field the classifier and
    ``EPCLClsMetric`` read. mmdet3d's ``Pack3DDetInputs`` cannot do this: it
    rejects keys it does not know.

    Args:
        meta_keys: keys copied into the data sample's metainfo when present.

    Required keys: ``points``; optional ``gt_label`` (absent at inference).
    """

    def __init__(self, meta_keys=('shape_id', 'sample_idx')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        points = results['points']
        if hasattr(points, 'tensor'):  # mmdet3d BasePoints
            points = points.tensor
        points = torch.as_tensor(np.asarray(points), dtype=torch.float32)  # (P, C)
        data_sample = Det3DDataSample(metainfo={
            k: results[k] for k in self.meta_keys if k in results})
        if 'gt_label' in results:
            data_sample.gt_label = LabelData(
                label=torch.as_tensor([results['gt_label']], dtype=torch.long))
        return dict(inputs=dict(points=points), data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
