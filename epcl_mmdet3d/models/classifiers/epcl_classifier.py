"""EPCL shape classifier: point tokens read by a frozen CLIP image transformer."""
import copy
from typing import Dict, List, Optional, Sequence

import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from mmengine.model import BaseModel
from mmengine.structures import LabelData
from torch import nn

from ..utils import DEFAULT_TEMPLATES, encode_class_names, stack_points


@MODELS.register_module()
class EPCLClassifier(BaseModel):
    """EPCL classification: ``EPCLEncoder`` + MLP head + CLIP text alignment.

    Data flow: points (B, N, 3+C) -> backbone (EPCLEncoder) -> CLS (B, D) and patch outputs
    (B, M, D) -> ``EPCLClsHead`` on [CLS ; max-pool] -> (B, num_classes)
    logits, trained with cross-entropy. With ``text_align`` set, the CLS
    output is also projected into CLIP's joint space and trained to match the
    CLIP text embedding of its class name (``EPCLTextAlignHead``).

    Text embeddings are computed once, at build, from the frozen CLIP text
    tower (the backbone's CLIP needs ``with_text=True``): for each class, every
    prompt template is encoded, L2-normalised, averaged over templates and
    normalised again (CLIP's prompt ensembling). They live in a buffer.

    Args:
        backbone: ``EPCLEncoder`` config.
        num_classes: C.
        class_names: C class names for the text alignment and the text-based
            prediction modes; when None they are set later with
            :meth:`set_class_names` (``EPCLClassNamesHook`` does it from the
            data set).
        head: ``EPCLClsHead`` options (in_channels and num_classes are set here).
        text_align: ``EPCLTextAlignHead`` options plus ``templates`` (prompt
            templates with one ``{}``) and ``projection``: 'clip' (default) maps
            the CLS output with CLIP's own frozen ``ln_post`` + ``proj``, so the
            loss can only be met by the tokenizer and task tokens producing
            CLIP-like features -- the paper's purpose for this loss -- and text
            similarity stays meaningful for unseen names; 'linear' adds a
            trainable Linear(2D, E) on the head's pooled feature instead.
            ``logit_scale_init='clip'`` starts from the loaded CLIP's own
            trained scale. None switches the alignment off.
        loss_cls: classification loss config (``mmdet.CrossEntropyLoss``).
        test_cfg: ``logits``: 'head' (default), 'text' (similarity to the class
            names' text embeddings) or 'sum' (softmax of both, averaged).
        data_preprocessor: defaults to ``EPCLPointsDataPreprocessor``.
        init_cfg: for the trainable parts; the frozen CLIP is never re-initialised.
    """

    def __init__(self, backbone: dict, num_classes: int,
                 class_names: Optional[Sequence[str]] = None,
                 head: Optional[dict] = None,
                 text_align: Optional[dict] = None,
                 loss_cls: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='EPCLPointsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # mmdet3d's registry: found with or without a default scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f'{len(class_names)} class_names for num_classes='
                             f'{num_classes}; they must match')
        self.num_classes = num_classes
        self.class_names = None if class_names is None else list(class_names)
        self.backbone = MODELS.build(backbone)
        embed_dims = self.backbone.embed_dims
        head = dict(type='EPCLClsHead', **(head or {}))
        head.update(in_channels=embed_dims, num_classes=num_classes)
        self.head = MODELS.build(head)
        self.loss_cls = MODELS.build(loss_cls or dict(
            type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
        self.test_cfg = dict(dict(logits='head'), **(test_cfg or {}))
        if self.test_cfg['logits'] not in ('head', 'text', 'sum'):
            raise ValueError("test_cfg.logits must be 'head', 'text' or 'sum', got "
                             f"'{self.test_cfg['logits']}'")

        self.text_align = None
        self.templates = None
        self.align_proj = None
        if text_align is not None:
            text_align = copy.deepcopy(text_align)
            self.templates = tuple(text_align.pop('templates', DEFAULT_TEMPLATES))
            projection = text_align.pop('projection', 'clip')
            if getattr(self.clip, 'text', None) is None:
                raise ValueError('text_align needs the CLIP text tower: set '
                                 'with_text=True in the clip config of the backbone')
            proj_dims = self.clip.proj_dims
            if projection == 'linear':
                self.align_proj = nn.Linear(self.head.out_channels, proj_dims)
            elif projection != 'clip':
                raise ValueError(f"projection must be 'clip' or 'linear', got '{projection}'")
            self.align_projection = projection
            if text_align.get('logit_scale_init') == 'clip':
                # CLIP's own trained temperature (100 for the OpenAI weights)
                text_align['logit_scale_init'] = float(
                    self.clip.text.logit_scale.detach().float().exp())
            self.text_align = MODELS.build(dict(
                type='EPCLTextAlignHead', num_classes=num_classes,
                embed_dims=proj_dims, **text_align))
            if self.class_names is not None:
                self.set_class_names(self.class_names)
        if self.test_cfg['logits'] != 'head' and self.text_align is None:
            raise ValueError(f"test_cfg.logits='{self.test_cfg['logits']}' needs text_align")

    def set_class_names(self, names: Sequence[str]) -> None:
        """Set the class names and compute their text embeddings (once).

        Called at build when ``class_names`` is given, else by
        ``EPCLClassNamesHook`` from the data set's classes before training or
        testing (few-shot folds choose their classes at run time).
        """
        names = list(names)
        if len(names) != self.num_classes:
            raise ValueError(f'{len(names)} class names for num_classes='
                             f'{self.num_classes}; they must match')
        self.class_names = names
        if self.text_align is not None:
            self.text_align.set_text_embeddings(self.encode_class_names(names))

    @property
    def clip(self) -> nn.Module:
        """The backbone's ``FrozenCLIPBackbone``."""
        return self.backbone.clip

    @torch.no_grad()
    def encode_class_names(self, names: Sequence[str],
                           templates: Optional[Sequence[str]] = None) -> torch.Tensor:
        """Prompt-ensembled CLIP text embeddings.

        Args:
            names: n class names (underscores read as spaces).
            templates: prompt templates with one ``{}``; the model's by default.

        Returns:
            torch.Tensor: (n, E), L2-normalised.
        """
        return encode_class_names(self.clip, names,
                                  tuple(templates or self.templates or DEFAULT_TEMPLATES))

    def extract_feat(self, points: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Encoder outputs plus ``global_feat`` (B, 2D) and ``point_embed`` (B, E).

        Args:
            points: (B, N, 3+C).
        """
        feats = self.backbone(points)
        feats['global_feat'] = self.head.pool(feats['cls_feat'], feats['patch_feats'])
        if self.text_align is not None:
            if self.align_proj is not None:
                feats['point_embed'] = self.align_proj(feats['global_feat'])
            else:
                feats['point_embed'] = self.clip.project(feats['cls_feat'])
        return feats

    def _labels(self, data_samples) -> torch.Tensor:
        if data_samples is None or any('gt_label' not in s for s in data_samples):
            raise ValueError('training needs gt_label in every data sample '
                             '(EPCLPackClsInputs packs it)')
        return torch.cat([s.gt_label.label for s in data_samples])  # (B,)

    def forward(self, inputs: dict, data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """mmengine entry: 'loss' -> dict, 'predict' -> data samples, 'tensor' -> logits."""
        # a (B, N, 3+C) batch or B equal (N, 3+C) clouds, any float dtype -> float32
        points = stack_points(inputs['points'], 'EPCLPointSample(num_points=...)')
        if mode == 'loss':
            return self.loss(points, data_samples)
        if mode == 'predict':
            return self.predict(points, data_samples)
        if mode == 'tensor':
            return self.head(self.extract_feat(points)['global_feat'])
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got '{mode}'")

    def loss(self, points: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Cross-entropy (+ text alignment) losses and the batch accuracy."""
        labels = self._labels(data_samples).to(points.device)
        if labels.max() >= self.num_classes or labels.min() < 0:
            raise ValueError(f'labels outside [0, {self.num_classes}); the data set has '
                             'more classes than num_classes')
        feats = self.extract_feat(points)
        logits = self.head(feats['global_feat'])  # (B, C)
        losses = dict(loss_cls=self.loss_cls(logits, labels))
        if self.text_align is not None:
            losses['loss_text'] = self.text_align.loss(feats['point_embed'], labels)
            losses['logit_scale'] = self.text_align.scale().detach()
        losses['acc'] = (logits.argmax(-1) == labels).float().mean().detach() * 100
        return losses

    def _predict_logits(self, feats: dict) -> torch.Tensor:
        mode = self.test_cfg['logits']
        if mode == 'head':
            return self.head(feats['global_feat']).softmax(-1)
        text = self.text_align(feats['point_embed']).softmax(-1)
        if mode == 'text':
            return text
        return 0.5 * (self.head(feats['global_feat']).softmax(-1) + text)

    def predict(self, points: torch.Tensor, data_samples: Optional[List] = None) -> List:
        """Set ``pred_label`` (label (1,), score (C,)) on each data sample.

        Args:
            points: (B, N, 3+C), or a list of B equal (N, 3+C) clouds.
        """
        points = stack_points(points, 'EPCLPointSample(num_points=...)')  # (B, N, 3+C)
        scores = self._predict_logits(self.extract_feat(points))  # (B, C)
        return self._attach(scores, points, data_samples)

    @staticmethod
    def _attach(scores: torch.Tensor, points: torch.Tensor, data_samples) -> List:
        if data_samples is None:
            data_samples = [Det3DDataSample() for _ in range(len(points))]
        for sample, score in zip(data_samples, scores):
            sample.pred_label = LabelData(label=score.argmax()[None], score=score)
        return data_samples

    @torch.no_grad()
    def predict_open_vocab(self, points: torch.Tensor, names: Sequence[str],
                           templates: Optional[Sequence[str]] = None) -> torch.Tensor:
        """Zero-shot scores over arbitrary class names.

        Compares the point embedding with the CLIP text embeddings of ``names``
        (which need not be training classes). Meaningful only for a model
        trained with the text alignment: the trained classes' text embeddings
        pull the point embeddings into CLIP space, and names close to them in
        CLIP text space inherit that; nothing guarantees transfer to shapes
        unlike any training class.

        Args:
            points: (B, N, 3+C).
            names: n class names.
            templates: prompt templates; the model's by default.

        Returns:
            torch.Tensor: (B, n) softmax scores.
        """
        if self.text_align is None:
            raise RuntimeError('open-vocabulary prediction needs a model built with '
                               'text_align (its point embedding is trained against text)')
        text = self.encode_class_names(names, templates).to(points.device)  # (n, E)
        return self.text_align(self.extract_feat(points)['point_embed'], text).softmax(-1)
