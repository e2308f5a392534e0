"""CLIP-style alignment of point features with class-name text features."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class EPCLTextAlignHead(BaseModule):
    """Cosine similarity of point embeddings with fixed text embeddings.

    ``logits = exp(logit_scale) * normalize(point_emb) @ normalize(text_emb).T``
    and the loss is the cross-entropy of these logits against the shape's
    class: the point -> text half of CLIP's contrastive loss, with every class
    name as a candidate (a batch often holds several shapes of one class, so
    the text -> point half would have several positives per row).

    The text embeddings are a buffer (saved in checkpoints, never trained),
    set once with :meth:`set_text_embeddings`.

    Args:
        num_classes: C.
        embed_dims: E, the CLIP joint embedding width.
        logit_scale_init: initial ``exp(logit_scale)`` (CLIP starts at 1/0.07).
        learnable_logit_scale: train the scale (clamped to at most 100, as CLIP)
            or keep it fixed.
        loss_weight: weight of the loss.
        init_cfg: mmengine init config.
    """

    def __init__(self, num_classes: int, embed_dims: int,
                 logit_scale_init: float = 1 / 0.07,
                 learnable_logit_scale: bool = True,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.register_buffer('text_embeds', torch.zeros(num_classes, embed_dims))
        self.register_buffer('text_ready', torch.tensor(False))
        scale = torch.tensor(math.log(logit_scale_init))
        if learnable_logit_scale:
            self.logit_scale = nn.Parameter(scale)
        else:
            self.register_buffer('logit_scale', scale)
        self.loss_weight = loss_weight

    @torch.no_grad()
    def set_text_embeddings(self, text_embeds: torch.Tensor) -> None:
        """Store (C, E) text embeddings (normalised here)."""
        if text_embeds.shape != self.text_embeds.shape:
            raise ValueError(f'text embeddings must be {tuple(self.text_embeds.shape)}, '
                             f'got {tuple(text_embeds.shape)}')
        self.text_embeds.copy_(F.normalize(text_embeds.float(), dim=-1))
        self.text_ready.fill_(True)

    def scale(self) -> torch.Tensor:
        """exp(logit_scale), clamped to [1, 100]."""
        return self.logit_scale.clamp(0, math.log(100)).exp()

    def forward(self, point_embeds: torch.Tensor,
                text_embeds: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Similarity logits.

        Args:
            point_embeds: (B, E) point embeddings.
            text_embeds: (n, E) other text embeddings (open vocabulary), or None
                for the stored class embeddings.

        Returns:
            torch.Tensor: (B, n) scaled cosine similarities.
        """
        if text_embeds is None:
            if not bool(self.text_ready):
                raise RuntimeError('text embeddings were never set; the classifier '
                                   'computes them from the CLIP text tower at build')
            text_embeds = self.text_embeds
        else:
            text_embeds = F.normalize(text_embeds.float(), dim=-1)
        point_embeds = F.normalize(point_embeds.float(), dim=-1)
        return self.scale() * point_embeds @ text_embeds.t()  # (B, n)

    def loss(self, point_embeds: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Weighted cross-entropy of the similarity logits; labels (B,) long."""
        return self.loss_weight * F.cross_entropy(self(point_embeds), labels)
