"""Classify features by their cosine similarity to CLIP text embeddings of class names."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import DEFAULT_TEMPLATES, encode_class_names


def name_head_classes(head: nn.Module, names: Sequence[str], config_key: str) -> None:
    """Give a head with an optional ``cls_classifier`` its class names.

    With an ``EPCLTextEmbeddingClassifier`` any names, any number of them (the head's
    ``num_classes`` follows); with a fixed classifier exactly ``head.num_classes`` names,
    which are then only recorded. Sets ``head.class_names``.

    Args:
        head: ``EPCL3DETRHead`` or ``EPCLSegHead``.
        names: the class names.
        config_key: the head's config key, for the error (e.g. 'bbox_head').
    """
    names = [str(n) for n in names]
    if head.cls_classifier is None:
        if len(names) != head.num_classes:
            raise ValueError(
                f'{len(names)} class names {names} for a {type(head).__name__} with a fixed '
                f'{head.num_classes}-class classifier; give {head.num_classes} names, or '
                f"train with {config_key}.cls_classifier=dict(type='EPCLTextEmbedding"
                "Classifier') to name any classes")
    else:
        head.cls_classifier.set_class_names(names)
        head.num_classes = len(names)
    head.class_names = names


@MODELS.register_module()
class EPCLTextEmbeddingClassifier(BaseModule):
    """Open-vocabulary classifier: learnt temperature x cosine(projected feature, text).

    ``logits = exp(logit_scale) * normalize(proj(x)) @ normalize(t_c).T``, where ``t_c``
    is the prompt-ensembled CLIP text embedding of class name c (the same ensembling as
    ``EPCLClassifier``, :func:`~epcl_mmdet3d.models.utils.encode_class_names`). The class
    names are not part of the weights: :meth:`set_class_names` changes them at any time
    (``EPCLClassNamesHook`` hands it the data set's ``metainfo['classes']``), and any
    number of names works.

    The text embeddings are computed once per tuple of names (and templates) and cached;
    they live in a non-persistent buffer, so neither they nor the text tower enter a
    state dict. What a checkpoint keeps of the text tower is its identity, which the
    backbone's slim state dict stores (``clip_identity``: arch, weights, activation and
    the SHA-256 of both CLIP towers).

    With ``no_object`` (detection) a learnt "no object" logit z = w.x + b is added, and the
    output is the log-probability over C + 1 classes of a factorised model:
    ``p(no object) = sigmoid(z)``, ``p(c) = sigmoid(-z) * softmax(logits)_c``. Softmax and
    cross-entropy read these log-probabilities as they read logits (a softmax of
    log-probabilities gives them back), so the 3DETR matcher, criterion and post-processor
    are unchanged. The objectness ``1 - p(no object)`` then does not depend on which names
    are asked for: naming other or more classes changes the classes of the boxes, not
    which queries are objects.

    The text tower is handed in by the model that owns it (the detector or segmentor
    passes its backbone's ``FrozenCLIPBackbone``); it is kept as a plain reference, not
    a submodule.

    Args:
        in_channels: C_in, the width of the features classified.
        text_tower: a ``FrozenCLIPBackbone`` built with ``with_text=True``.
        projection: 'linear' (default): a trainable Linear(C_in, E) into CLIP's joint
            space; 'clip': a trainable Linear(C_in, D) into CLIP's token width, then CLIP's
            own frozen ``ln_post`` and visual ``proj`` (D -> E), as ``EPCLClassifier``'s
            text alignment reads its CLS output.
        no_object: add the learnt "no object" logit (see above).
        templates: prompt templates, each with one ``{}``.
        logit_scale_init: initial exp(logit_scale) (CLIP's 1 / 0.07), or 'clip' for the
            loaded CLIP's own trained scale.
        learnable_logit_scale: learn the temperature (clamped to [1, 100], as CLIP).
        class_names: names to start with; else :meth:`set_class_names` before use.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, text_tower: nn.Module,
                 projection: str = 'linear', no_object: bool = False,
                 templates: Sequence[str] = DEFAULT_TEMPLATES,
                 logit_scale_init: Union[float, str] = 1 / 0.07,
                 learnable_logit_scale: bool = True,
                 class_names: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if getattr(text_tower, 'text', None) is None or not hasattr(text_tower, 'encode_text'):
            raise ValueError(
                'EPCLTextEmbeddingClassifier needs the CLIP text tower: set with_text=True '
                "in the backbone's clip config (FrozenCLIPBackbone)")
        if projection not in ('linear', 'clip'):
            raise ValueError(f"projection must be 'linear' or 'clip', got {projection!r}")
        # a plain reference: the tower belongs to the backbone (and its state dict)
        object.__setattr__(self, '_text_tower', text_tower)
        self.projection = projection
        self.templates = tuple(templates)
        width = text_tower.proj_dims if projection == 'linear' else text_tower.embed_dims
        self.proj = nn.Linear(in_channels, width)
        self.no_object = nn.Linear(in_channels, 1) if no_object else None
        if logit_scale_init == 'clip':
            logit_scale_init = float(text_tower.text.logit_scale.detach().float().exp())
        scale = torch.tensor(math.log(float(logit_scale_init)))
        if learnable_logit_scale:
            self.logit_scale = nn.Parameter(scale)
        else:
            self.register_buffer('logit_scale', scale)
        self.register_buffer('text_embeds', torch.zeros(0, text_tower.proj_dims),
                             persistent=False)
        self.class_names: Optional[List[str]] = None
        self._cache: Dict[Tuple[Tuple[str, ...], Tuple[str, ...]], Tensor] = {}
        if class_names is not None:
            self.set_class_names(class_names)

    @property
    def num_classes(self) -> int:
        """How many class names are set (0 before :meth:`set_class_names`)."""
        return 0 if self.class_names is None else len(self.class_names)

    def set_class_names(self, names: Sequence[str]) -> None:
        """Classify into ``names`` from now on (their text embeddings: cached after the
        first time this tuple of names is asked for)."""
        names = [str(n) for n in names]
        key = (tuple(names), self.templates)
        if key not in self._cache:
            self._cache[key] = encode_class_names(self._text_tower, names,
                                                  self.templates).cpu()
        self.text_embeds = self._cache[key].to(self.proj.weight.device)  # (C, E)
        self.class_names = names

    def scale(self) -> Tensor:
        """exp(logit_scale), clamped to [1, 100]."""
        return self.logit_scale.clamp(0, math.log(100)).exp()

    def embed(self, x: Tensor) -> Tensor:
        """Features in CLIP's joint space, L2-normalised: (..., C_in) -> (..., E)."""
        out = self.proj(x.float())
        if self.projection == 'clip':
            out = self._text_tower.project(out)  # frozen ln_post + proj: (..., E)
        return F.normalize(out, dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        """Class scores.

        Args:
            x: (..., C_in) features.

        Returns:
            (..., C) scaled cosine similarities to the C class names; with ``no_object``,
            (..., C + 1) log-probabilities, "no object" last.
        """
        if self.class_names is None:
            raise RuntimeError(
                'EPCLTextEmbeddingClassifier has no class names: call '
                "model.set_class_names(names), or add dict(type='EPCLClassNamesHook') to "
                "custom_hooks (it reads the data set's metainfo classes)")
        logits = self.scale() * self.embed(x) @ self.text_embeds.t()  # (..., C)
        if self.no_object is None:
            return logits
        z = self.no_object(x.float())  # (..., 1) the "no object" logit
        return torch.cat([F.logsigmoid(-z) + logits.log_softmax(-1), F.logsigmoid(z)], -1)
