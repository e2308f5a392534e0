"""EPCL detector: frozen-CLIP point encoder + 3DETR-style box decoder."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet3d.models.detectors import Base3DDetector
from mmdet3d.registry import MODELS
from torch import Tensor

from ..utils import ClassNamesMixin, stack_points


@MODELS.register_module()
class EPCL3DETRDetector(ClassNamesMixin, Base3DDetector):
    """Points -> ``EPCLEncoder`` (tokenizer, task tokens, frozen CLIP) -> 3DETR head.

    Args:
        backbone: config of the encoder (``EPCLEncoder``); its ``embed_dims`` becomes the
            head's ``in_channels``.
        bbox_head: config of the head (``EPCL3DETRHead``). With an open-vocabulary
            ``cls_classifier`` the head is handed the backbone's CLIP text tower.
        train_cfg: passed to the head.
        test_cfg: passed to the head (score threshold, NMS).
        data_preprocessor: usually ``Det3DDataPreprocessor``.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, bbox_head: dict, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        bbox_head = dict(bbox_head)
        bbox_head.update(in_channels=self.backbone.embed_dims, train_cfg=train_cfg,
                         test_cfg=test_cfg)
        if bbox_head.get('cls_classifier') is not None:
            bbox_head['text_tower'] = self.backbone.clip
        self.bbox_head = MODELS.build(bbox_head)

    def extract_feat(self, batch_inputs_dict: Dict) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Encode the points.

        Args:
            batch_inputs_dict: ``points``: B tensors (N, 3 + C).

        Returns:
            (centers (B, M, 3), patch_feats (B, M, D), scene_min (B, 3), scene_max (B, 3)),
            the bounds taken over each scene's points.
        """
        points = stack_points(batch_inputs_dict['points'],
                              'PointSample(num_points=...)')  # (B, N, 3 + C)
        enc = self.backbone(points)
        xyz = points[..., :3]
        return enc['centers'], enc['patch_feats'], xyz.amin(1), xyz.amax(1)

    def check_ground_truth(self, batch_data_samples: List) -> None:
        """Refuse labels outside [0, num_classes) other than -1, and non-finite boxes,
        naming the scene.

        Checked here, where ground truth enters the model: the head reads label
        ``num_classes`` as its "no object" class and a larger one as an index error.
        Label -1 is mmdet3d's "ignore": its datasets give it to the boxes of classes
        left out of a ``metainfo`` subset (ScanNet and SUN RGB-D keep those boxes). By
        default the head drops them (``get_targets``): they are not matched, not counted
        in the box-count normaliser and not a target of any query; with the criterion's
        ``ignored_boxes='mask'`` (open-vocabulary protocols) they are matched and their
        queries get no loss.
        """
        num_classes = self.bbox_head.num_classes
        for sample in batch_data_samples:
            gt = sample.gt_instances_3d
            scene = sample.metainfo.get('lidar_path', sample.metainfo.get('sample_idx', '?'))
            labels = gt.labels_3d
            bad = (labels < -1) | (labels >= num_classes)
            if bool(bad.any()):
                raise ValueError(
                    f'scene {scene}: ground-truth label {int(labels[bad][0])} is outside '
                    f'[0, {num_classes}) (num_classes={num_classes}) and is not -1 '
                    "(ignored); fix the info file, or the dataset's metainfo classes and "
                    "the head's num_classes")
            boxes = gt.bboxes_3d.tensor  # (K, 6 or 7)
            if not bool(torch.isfinite(boxes).all()):
                row = int((~torch.isfinite(boxes)).any(-1).nonzero()[0])
                raise ValueError(f'scene {scene}: ground-truth box {row} has NaN or Inf '
                                 f'values {boxes[row].tolist()}; fix or drop it in the info file')

    def loss(self, batch_inputs_dict: Dict, batch_data_samples: List) -> Dict[str, Tensor]:
        """Losses of every decoder layer (see ``EPCL3DETRHead.loss``)."""
        self.check_ground_truth(batch_data_samples)
        centers, feats, lo, hi = self.extract_feat(batch_inputs_dict)
        return self.bbox_head.loss(centers, feats, lo, hi, batch_data_samples)

    def predict(self, batch_inputs_dict: Dict, batch_data_samples: List) -> List:
        """Fill ``pred_instances_3d`` of every sample (``DepthInstance3DBoxes``,
        ``scores_3d``, ``labels_3d``); the input points feed 3DETR's empty-box filter.
        An open-vocabulary head without class names takes ``dataset_meta['classes']``
        (what mmdet3d's ``init_model`` sets from the checkpoint or the config)."""
        self._take_dataset_classes()
        centers, feats, lo, hi = self.extract_feat(batch_inputs_dict)
        points = stack_points(batch_inputs_dict['points'],
                              'PointSample(num_points=...)')  # (B, N, 3 + C)
        results = self.bbox_head.predict(centers, feats, lo, hi, points)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _forward(self, batch_inputs_dict: Dict, batch_data_samples: Optional[List] = None
                 ) -> Dict:
        """Raw head outputs (for tracing / inspection)."""
        centers, feats, lo, hi = self.extract_feat(batch_inputs_dict)
        return self.bbox_head(centers, feats, lo, hi)
