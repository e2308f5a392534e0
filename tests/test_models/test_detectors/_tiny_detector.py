"""A tiny EPCL detector and synthetic batches for the detector tests."""
import numpy as np
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import DepthInstance3DBoxes, Det3DDataSample
from mmdet3d.utils import register_all_modules
from mmengine.structures import InstanceData

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)


def tiny_detector_cfg(num_classes=3, num_tokens=64, num_queries=16, num_layers=2):
    return dict(
        type='EPCL3DETRDetector',
        data_preprocessor=dict(type='Det3DDataPreprocessor'),
        backbone=dict(
            type='EPCLEncoder',
            tokenizer=dict(type='EPCLTokenizer', num_tokens=num_tokens, num_neighbors=8,
                           in_channels=3),
            task_token=dict(type='EPCLTaskToken', num_tokens=2),
            clip=dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny', pretrained=None,
                      frozen=True, embed_dropout=0.0)),
        bbox_head=dict(
            type='EPCL3DETRHead', num_classes=num_classes, num_queries=num_queries,
            embed_dims=32,
            decoder=dict(num_layers=num_layers, num_heads=4, ffn_channels=32, dropout=0.0),
            mlp_channels=32, mlp_dropout=0.0),
        test_cfg=dict(objectness_thr=0.0, nms_iou_thr=0.25, max_per_scene=50))


def build_tiny_detector(**kwargs):
    register_all_modules(init_default_scope=True)  # Det3DDataPreprocessor's scope
    torch.manual_seed(0)
    return MODELS.build(tiny_detector_cfg(**kwargs))


def make_sample(boxes, labels):
    """A Det3DDataSample with (G, 6) gravity-centre boxes and (G,) labels."""
    sample = Det3DDataSample()
    gt = InstanceData()
    gt.bboxes_3d = DepthInstance3DBoxes(torch.as_tensor(boxes, dtype=torch.float32)
                                        .reshape(-1, 6), box_dim=6, with_yaw=False,
                                        origin=(0.5, 0.5, 0.5))
    gt.labels_3d = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    sample.gt_instances_3d = gt
    sample.set_metainfo(dict(box_type_3d=DepthInstance3DBoxes))
    return sample


def make_points(n=512, seed=0):
    rng = np.random.default_rng(seed)
    return torch.from_numpy((rng.random((n, 3)) * [4.0, 4.0, 2.5]).astype(np.float32))
