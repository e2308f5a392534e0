"""3DETR's detection head over EPCL token features."""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet3d.registry import MODELS, TASK_UTILS
from mmdet3d.structures import DepthInstance3DBoxes
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...ops import furthest_point_sample
from ..layers.epcl_text_embedding_classifier import name_head_classes


@MODELS.register_module()
class EPCL3DETRHead(BaseModule):
    """Query-based box decoder of 3DETR over the token features of EPCL's encoder.

    Queries are ``num_queries`` token centres picked by furthest point sampling; their
    Fourier features of the scene-normalised xyz (through an MLP) are the query
    positions, the decoder state starts at zero. Memory = projected token features,
    keyed with the Fourier features of the token centres. Every decoder layer's output
    goes through the same prediction MLPs (class with "no object", centre offset,
    size, yaw residual and, with more than one yaw bin, yaw bin) and is supervised.
    With one yaw bin (ScanNet: axis-aligned boxes) there is no yaw-bin MLP and no bin
    cross-entropy (over one bin it is exactly 0); the residual is trained towards 0 as in
    3DETR, although the decoded yaw is 0.

    As in 3DETR (``models/model_3detr.py``): the encoder-to-decoder projection is three
    1x1 convolutions with BatchNorm + ReLU (hidden widths D, D; no biases); each
    prediction MLP is conv-BN-ReLU-dropout twice then a conv; the prediction MLPs run
    once over all decoder layers stacked, so their BatchNorm statistics span every
    layer. One addition: a LayerNorm on CLIP's token outputs before the projection
    (``in_norm``). They are a ViT's raw residual stream, which CLIP itself only reads
    through its ``ln_post`` and in which a few channels are orders of magnitude larger
    than the rest; 3DETR's own encoder output does not have such channels.

    Args:
        in_channels: width of the encoder's token features (D; the detector fills it).
        num_classes: C.
        num_queries: queries per scene (3DETR: 256 on ScanNet, 128 on SUN RGB-D).
        embed_dims: decoder width d (3DETR: 256).
        decoder: config of the transformer decoder; ``type`` defaults to
            ``EPCLTransformerDecoder``, ``embed_dims`` is filled in. A decoder of another
            type takes ``(query, memory, query_pos, memory_pos)``, each (B, *, d), and
            returns (L, B, Q, d), the normalised output of each of its L layers.
        gauss_scale: scale of the Fourier projection (3DETR: 1.0).
        mlp_channels: hidden width of the prediction MLPs (3DETR: 256).
        mlp_dropout: dropout in the prediction MLPs (3DETR: ``--mlp_dropout 0.3``).
        in_norm: LayerNorm on the token features before the projection (see above).
        proj_hidden_layers: hidden layers of the encoder-to-decoder projection (3DETR: 2,
            and 1 after its masked encoder, ``--enc_type masked``).
        box_coder: config of ``EPCL3DETRBoxCoder``.
        criterion: config of ``EPCLSetCriterion`` (``num_classes`` is filled in).
        cls_classifier: None (default): the class MLP ends in a fixed linear layer over
            the ``num_classes`` training classes and "no object", as 3DETR. Or the config
            of an open-vocabulary classifier, ``dict(type='EPCLTextEmbeddingClassifier',
            ...)``: the class MLP's hidden layers, then cosine similarity to the CLIP text
            embeddings of the class names and a learnt "no object" logit, so that
            :meth:`set_class_names` can name any classes, any number of them, without
            retraining (``in_channels``, ``text_tower`` and ``no_object=True`` are filled
            in; see ``docs/open_vocabulary.md``).
        text_tower: the backbone's ``FrozenCLIPBackbone`` (with ``with_text=True``); the
            detector passes it when ``cls_classifier`` is set.
        train_cfg: unused, kept for mmdet3d's interface.
        test_cfg: arguments of ``EPCL3DETRPostProcessor`` (3DETR's ``parse_predictions``:
            ``min_points_in_box`` 5, ``nms_iou_thr`` 0.25, ``objectness_thr`` 0.05,
            ``per_class_proposal`` True, ``max_per_scene`` None).
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, num_classes: int, num_queries: int = 256,
                 embed_dims: int = 256,
                 decoder: dict = dict(type='EPCLTransformerDecoder', num_layers=8,
                                      num_heads=4, ffn_channels=256, dropout=0.1),
                 gauss_scale: float = 1.0, mlp_channels: int = 256,
                 mlp_dropout: float = 0.3, in_norm: bool = True, proj_hidden_layers: int = 2,
                 box_coder: dict = dict(type='EPCL3DETRBoxCoder', num_angle_bins=1),
                 criterion: dict = dict(type='EPCLSetCriterion'),
                 cls_classifier: Optional[dict] = None,
                 text_tower: Optional[nn.Module] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_queries = num_queries
        self.train_cfg = train_cfg
        self.test_cfg = dict(test_cfg or {})
        if 'score_thr' in self.test_cfg:
            raise ValueError('test_cfg.score_thr is gone: 3DETR thresholds the objectness '
                             '(test_cfg.objectness_thr, 0.05) and scores every class of a '
                             'surviving query; see EPCL3DETRPostProcessor for the keys')
        self.post_processor = TASK_UTILS.build(
            dict(type='EPCL3DETRPostProcessor', **self.test_cfg))
        self.box_coder = TASK_UTILS.build(box_coder)
        num_bins = self.box_coder.num_angle_bins
        self.pos_encoding = MODELS.build(dict(
            type='EPCLFourierPosEncoding', out_channels=embed_dims, gauss_scale=gauss_scale))
        self.in_norm = nn.LayerNorm(in_channels) if in_norm else nn.Identity()
        self.memory_proj = MODELS.build(dict(  # encoder width D -> decoder width d
            type='EPCLPointwiseMLP', in_channels=in_channels,
            hidden_channels=(in_channels, ) * proj_hidden_layers, out_channels=embed_dims,
            out_bias=False, out_norm=True, out_act=True))
        self.query_proj = nn.Sequential(  # 3DETR: biased, no norm, ReLU after both
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True),
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True))
        self.decoder = self._build_decoder(decoder, embed_dims)
        # 3DETR trains the yaw residual also with one bin (towards 0, the decoded yaw is
        # 0 anyway); the bin classifier over one bin would only give a CE of exactly 0
        outputs = dict(cls_logits=num_classes + 1, center_raw=3, size_raw=3,
                       angle_res_raw=num_bins)
        if num_bins > 1:
            outputs.update(angle_cls=num_bins)
        if cls_classifier is not None:
            outputs['cls_logits'] = None  # the MLP's hidden layers; the classifier follows
        self.pred_heads = nn.ModuleDict({
            name: MODELS.build(dict(type='EPCLPointwiseMLP', in_channels=embed_dims,
                                    hidden_channels=(mlp_channels, mlp_channels),
                                    out_channels=width, dropout=mlp_dropout))
            for name, width in outputs.items()})
        self.cls_classifier = None
        self.class_names: Optional[List[str]] = None
        if cls_classifier is not None:
            if text_tower is None:
                raise ValueError('EPCL3DETRHead: cls_classifier needs the text tower; build '
                                 'the head through EPCL3DETRDetector, which passes it')
            self.cls_classifier = MODELS.build(dict(
                cls_classifier, in_channels=mlp_channels, text_tower=text_tower,
                no_object=True))
        criterion = dict(criterion)
        criterion.setdefault('num_classes', num_classes)
        self.criterion = MODELS.build(criterion)

    @property
    def open_vocabulary(self) -> bool:
        """Whether the classes are named by text (``cls_classifier``), not fixed."""
        return self.cls_classifier is not None

    def set_class_names(self, names: Sequence[str]) -> None:
        """Detect ``names`` from now on.

        With ``cls_classifier`` any names, any number of them (the criterion follows the
        count); with the fixed classifier only as many as it was trained for (the names
        are then only recorded).
        """
        name_head_classes(self, names, 'bbox_head')
        if self.cls_classifier is not None:
            self.criterion.set_num_classes(self.num_classes)

    @staticmethod
    def _build_decoder(decoder: dict, embed_dims: int) -> nn.Module:
        """Build ``decoder`` (``type`` defaults to ``EPCLTransformerDecoder``) of width d."""
        decoder = dict(decoder)
        decoder.setdefault('type', 'EPCLTransformerDecoder')
        kind = decoder['type']
        if isinstance(kind, str) and MODELS.get(kind) is None:
            raise ValueError(
                f'EPCL3DETRHead: decoder type {kind!r} is not registered in mmdet3d\'s '
                "MODELS; use 'EPCLTransformerDecoder' (the default), or import the module "
                'that registers your decoder (custom_imports in the config)')
        if decoder.setdefault('embed_dims', embed_dims) != embed_dims:
            raise ValueError(f"EPCL3DETRHead: decoder.embed_dims ({decoder['embed_dims']}) "
                             f'differs from the head\'s embed_dims ({embed_dims}); set only '
                             'the head\'s (it is filled in)')
        return MODELS.build(decoder)

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
            (first to last) of ``cls_logits`` (B, Q, C + 1) (with ``cls_classifier``:
            log-probabilities, which softmax and cross-entropy read as logits), ``center_raw``,
            ``size_raw`` (B, Q, 3), ``angle_res_raw`` (B, Q, A), with A > 1 yaw bins
            ``angle_cls`` (B, Q, A), and the decoded boxes of
            :meth:`EPCL3DETRBoxCoder.decode` (with one bin, ``angle`` is 0).
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
        memory = self.memory_proj(self.in_norm(feats))  # (B, M, d)
        query = torch.zeros_like(query_pos)  # (B, Q, d)
        hidden = self.decoder(query, memory, query_pos, memory_pos)  # (L, B, Q, d)
        num_layers, bsz = hidden.shape[:2]
        stacked = hidden.flatten(0, 1)  # (L * B, Q, d): one BatchNorm batch for all layers
        raw = {name: head(stacked).unflatten(0, (num_layers, bsz))  # (L, B, Q, out)
               for name, head in self.pred_heads.items()}
        if self.cls_classifier is not None:  # (L, B, Q, mlp) -> (L, B, Q, C + 1)
            raw['cls_logits'] = self.cls_classifier(raw['cls_logits'])
        one_bin = raw['angle_res_raw'].new_zeros(raw['angle_res_raw'].shape)  # A = 1
        layers = []
        for i in range(num_layers):
            out = {name: value[i] for name, value in raw.items()}
            out.update(self.box_coder.decode(out['center_raw'], out['size_raw'],
                                             raw.get('angle_cls', one_bin)[i],
                                             raw['angle_res_raw'][i],
                                             query_xyz, scene_min, scene_max))
            layers.append(out)
        return dict(query_xyz=query_xyz, layers=layers)

    def get_targets(self, batch_data_samples: List, scene_min: Tensor,
                    scene_max: Tensor) -> List[Dict[str, Tensor]]:
        """Normalised ground truth per scene. Boxes of label -1 are dropped here, or, with
        the criterion's ``ignored_boxes='mask'``, kept (matched, then given no loss).

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
            keep = labels >= (-1 if self.criterion.ignored_boxes == 'mask' else 0)
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
                scene_max: Tensor, points: Tensor) -> List[InstanceData]:
        """Boxes of the last decoder layer, post-processed as 3DETR's ``parse_predictions``
        (see ``EPCL3DETRPostProcessor``).

        Args:
            centers, feats, scene_min, scene_max: as :meth:`forward`.
            points: (B, N, 3 + C) the input clouds (the empty-box filter counts their
                points inside each box).

        Returns:
            B ``InstanceData`` with ``bboxes_3d`` (``DepthInstance3DBoxes``, gravity
            centres turned into mmdet3d's bottom centres; with yaw when the box coder has
            more than one angle bin), ``scores_3d`` (n,) and ``labels_3d`` (n,).
        """
        last = self(centers, feats, scene_min, scene_max)['layers'][-1]
        prob = last['cls_logits'].softmax(-1)  # (B, Q, C + 1)
        objectness = 1 - prob[..., -1]  # (B, Q)
        boxes = torch.cat([last['center'], last['size'], last['angle'][..., None]],
                          dim=-1).detach()  # (B, Q, 7)
        with_yaw = self.box_coder.num_angle_bins > 1
        results = []
        for b in range(prob.shape[0]):
            kept, scores, labels = self.post_processor(
                boxes[b], prob[b, :, :-1].detach(), objectness[b].detach(),
                points[b, :, :3])
            res = InstanceData()
            res.bboxes_3d = DepthInstance3DBoxes(
                kept if with_yaw else kept[:, :6], box_dim=7 if with_yaw else 6,
                with_yaw=with_yaw, origin=(0.5, 0.5, 0.5))
            res.scores_3d = scores
            res.labels_3d = labels
            results.append(res)
        return results
