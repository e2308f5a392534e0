"""3DETR-style detection head over EPCL token features."""
from typing import Dict, List, Optional

import torch
from mmdet3d.models.layers import aligned_3d_nms
from mmdet3d.registry import MODELS, TASK_UTILS
from mmdet3d.structures import DepthInstance3DBoxes
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...ops import furthest_point_sample


def _mlp(in_channels: int, hidden: int, out_channels: int, dropout: float,
         out_act: bool = False) -> nn.Sequential:
    """Two hidden ReLU layers then a linear output: (..., in) -> (..., out)."""
    layers = [nn.Linear(in_channels, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
              nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
              nn.Linear(hidden, out_channels)]
    if out_act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


@MODELS.register_module()
class EPCL3DETRHead(BaseModule):
    """Query-based box decoder of 3DETR over the token features of EPCL's encoder.

    Queries are ``num_queries`` token centres picked by furthest point sampling; their
    Fourier features of the scene-normalised xyz (through an MLP) are the query
    positions, the decoder state starts at zero. Memory = projected token features,
    keyed with the Fourier features of the token centres. Every decoder layer's output
    goes through the same prediction MLPs (class with "no object", centre offset,
    size, yaw bin, yaw residual) and is supervised.

    Args:
        in_channels: width of the encoder's token features (D; the detector fills it).
        num_classes: C.
        num_queries: queries per scene (3DETR: 256).
        embed_dims: decoder width d (3DETR: 256).
        decoder: config of ``EPCLTransformerDecoder`` (without ``embed_dims``).
        gauss_scale: scale of the Fourier projection (3DETR: 1.0).
        mlp_channels: hidden width of the prediction MLPs (3DETR: 256).
        mlp_dropout: dropout in the prediction MLPs (3DETR: 0.1).
        box_coder: config of ``EPCL3DETRBoxCoder``.
        criterion: config of ``EPCLSetCriterion`` (``num_classes`` is filled in).
        train_cfg: unused, kept for mmdet3d's interface.
        test_cfg: ``score_thr`` (drop boxes below it), ``nms_iou_thr`` (class-aware
            axis-aligned NMS), ``max_per_scene``, ``per_class_proposal`` (each query
            proposes one box per class, scored p_class x objectness, as 3DETR does).
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, num_classes: int, num_queries: int = 256,
                 embed_dims: int = 256,
                 decoder: dict = dict(num_layers=8, num_heads=4, ffn_channels=256,
                                      dropout=0.1),
                 gauss_scale: float = 1.0, mlp_channels: int = 256,
                 mlp_dropout: float = 0.1,
                 box_coder: dict = dict(type='EPCL3DETRBoxCoder', num_angle_bins=1),
                 criterion: dict = dict(type='EPCLSetCriterion'),
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_queries = num_queries
        self.train_cfg = train_cfg
        self.test_cfg = dict(score_thr=0.05, nms_iou_thr=0.25, max_per_scene=256,
                             per_class_proposal=True)
        self.test_cfg.update(test_cfg or {})
        self.box_coder = TASK_UTILS.build(box_coder)
        num_bins = self.box_coder.num_angle_bins
        self.pos_encoding = MODELS.build(dict(
            type='EPCLFourierPosEncoding', out_channels=embed_dims, gauss_scale=gauss_scale))
        self.memory_proj = nn.Sequential(  # encoder width D -> decoder width d
            nn.Linear(in_channels, embed_dims), nn.ReLU(inplace=True),
            nn.Linear(embed_dims, embed_dims))
        self.query_proj = nn.Sequential(
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True),
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True))
        self.decoder = MODELS.build(dict(type='EPCLTransformerDecoder',
                                         embed_dims=embed_dims, **decoder))
        self.cls_head = _mlp(embed_dims, mlp_channels, num_classes + 1, mlp_dropout)
        self.center_head = _mlp(embed_dims, mlp_channels, 3, mlp_dropout)
        self.size_head = _mlp(embed_dims, mlp_channels, 3, mlp_dropout)
        self.angle_cls_head = _mlp(embed_dims, mlp_channels, num_bins, mlp_dropout)
        self.angle_res_head = _mlp(embed_dims, mlp_channels, num_bins, mlp_dropout)
        criterion = dict(criterion)
        criterion.setdefault('num_classes', num_classes)
        self.criterion = MODELS.build(criterion)

    def forward(self, centers: Tensor, feats: Tensor, scene_min: Tensor,
                scene_max: Tensor) -> Dict:
        """Decode boxes.

        Args:
            centers: (B, M, 3) token centres.
            feats: (B, M, D) token features.
            scene_min: (B, 3) lower scene bound.
            scene_max: (B, 3) upper scene bound.

        Returns:
            dict with ``query_xyz`` (B, Q, 3) and ``layers``: one dict per decoder layer
            (first to last) of ``cls_logits`` (B, Q, C + 1), ``center_raw``,
            ``size_raw`` (B, Q, 3), ``angle_cls``, ``angle_res_raw`` (B, Q, A) and the
            decoded boxes of :meth:`EPCL3DETRBoxCoder.decode`.
        """
        num_tokens = centers.shape[1]
        if num_tokens < self.num_queries:
            raise ValueError(f'the encoder gives {num_tokens} tokens but the head samples '
                             f'{self.num_queries} queries among them; lower num_queries '
                             'or raise the tokenizer\'s num_tokens')
        query_idx = furthest_point_sample(centers.detach(), self.num_queries)  # (B, Q)
        query_xyz = centers.gather(1, query_idx[..., None].expand(-1, -1, 3))  # (B, Q, 3)
        query_pos = self.query_proj(self.pos_encoding(query_xyz, scene_min, scene_max))
        memory_pos = self.pos_encoding(centers, scene_min, scene_max)  # (B, M, d)
        memory = self.memory_proj(feats)  # (B, M, d)
        query = torch.zeros_like(query_pos)  # (B, Q, d)
        hidden = self.decoder(query, memory, query_pos, memory_pos)  # (L, B, Q, d)
        layers = []
        for h in hidden:
            out = dict(cls_logits=self.cls_head(h), center_raw=self.center_head(h),
                       size_raw=self.size_head(h), angle_cls=self.angle_cls_head(h),
                       angle_res_raw=self.angle_res_head(h))
            out.update(self.box_coder.decode(out['center_raw'], out['size_raw'],
                                             out['angle_cls'], out['angle_res_raw'],
                                             query_xyz, scene_min, scene_max))
            layers.append(out)
        return dict(query_xyz=query_xyz, layers=layers)

    def get_targets(self, batch_data_samples: List, scene_min: Tensor,
                    scene_max: Tensor) -> List[Dict[str, Tensor]]:
        """Normalised ground truth per scene (boxes of label -1 are ignored).

        Args:
            batch_data_samples: B ``Det3DDataSample`` with ``gt_instances_3d``.
            scene_min: (B, 3) lower scene bound.
            scene_max: (B, 3) upper scene bound.

        Returns:
            per scene, the dict of :meth:`EPCL3DETRBoxCoder.encode_targets` plus
            ``labels`` (G,).
        """
        targets = []
        for b, sample in enumerate(batch_data_samples):
            gt = sample.gt_instances_3d
            labels = gt.labels_3d.to(scene_min.device).long()
            boxes = gt.bboxes_3d.to(scene_min.device)
            keep = labels >= 0
            centers = boxes.gravity_center[keep].to(scene_min.dtype)  # (G, 3)
            sizes = boxes.dims[keep].to(scene_min.dtype)  # (G, 3)
            yaws = boxes.yaw[keep].to(scene_min.dtype) if boxes.with_yaw \
                else centers.new_zeros(len(centers))
            tgt = self.box_coder.encode_targets(centers, sizes, yaws, scene_min[b],
                                                scene_max[b])
            tgt['labels'] = labels[keep]
            targets.append(tgt)
        return targets

    def loss(self, centers: Tensor, feats: Tensor, scene_min: Tensor, scene_max: Tensor,
             batch_data_samples: List) -> Dict[str, Tensor]:
        """Losses of every decoder layer.

        Args:
            centers, feats, scene_min, scene_max: as :meth:`forward`.
            batch_data_samples: B samples with ``gt_instances_3d``.

        Returns:
            dict: the last layer's losses under their names (``loss_cls`` ...), those of
            layer i < L - 1 prefixed ``d{i}.``.
        """
        outs = self(centers, feats, scene_min, scene_max)
        targets = self.get_targets(batch_data_samples, scene_min, scene_max)
        losses = {}
        num_layers = len(outs['layers'])
        for i, preds in enumerate(outs['layers']):
            prefix = '' if i == num_layers - 1 else f'd{i}.'
            for k, v in self.criterion(preds, targets).items():
                losses[prefix + k] = v
        return losses

    def predict(self, centers: Tensor, feats: Tensor, scene_min: Tensor,
                scene_max: Tensor) -> List[InstanceData]:
        """Boxes of the last decoder layer, scored and suppressed.

        Args: as :meth:`forward`.

        Returns:
            B ``InstanceData`` with ``bboxes_3d`` (``DepthInstance3DBoxes``, gravity
            centres turned into mmdet3d's bottom centres, no yaw), ``scores_3d`` (n,) and
            ``labels_3d`` (n,).
        """
        last = self(centers, feats, scene_min, scene_max)['layers'][-1]
        prob = last['cls_logits'].softmax(-1)  # (B, Q, C + 1)
        objectness = 1 - prob[..., -1]  # (B, Q)
        cls_prob = prob[..., :-1]  # (B, Q, C)
        cfg = self.test_cfg
        results = []
        for b in range(prob.shape[0]):
            center, size = last['center'][b], last['size'][b]  # (Q, 3)
            if cfg['per_class_proposal']:
                scores = (cls_prob[b] * objectness[b][:, None]).flatten()  # (Q * C,)
                labels = torch.arange(self.num_classes, device=prob.device).repeat(
                    prob.shape[1])  # (Q * C,)
                query = torch.arange(prob.shape[1], device=prob.device).repeat_interleave(
                    self.num_classes)  # (Q * C,)
            else:
                best, labels = cls_prob[b].max(-1)
                scores = best * objectness[b]
                query = torch.arange(prob.shape[1], device=prob.device)
            keep = scores > cfg['score_thr']
            scores, labels, query = scores[keep], labels[keep], query[keep]
            boxes = torch.cat([center[query], size[query]], dim=-1)  # (n, 6)
            if len(boxes):
                corners = torch.cat([boxes[:, :3] - boxes[:, 3:] / 2,
                                     boxes[:, :3] + boxes[:, 3:] / 2], dim=-1)
                nms_keep = aligned_3d_nms(corners, scores, labels, cfg['nms_iou_thr'])
                nms_keep = nms_keep[scores[nms_keep].argsort(descending=True)]
                nms_keep = nms_keep[:cfg['max_per_scene']]
                boxes, scores, labels = boxes[nms_keep], scores[nms_keep], labels[nms_keep]
            res = InstanceData()
            res.bboxes_3d = DepthInstance3DBoxes(boxes.detach().reshape(-1, 6), box_dim=6,
                                                 with_yaw=False, origin=(0.5, 0.5, 0.5))
            res.scores_3d = scores.detach()
            res.labels_3d = labels.detach().long()
            results.append(res)
        return results
