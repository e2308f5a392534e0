"""Tokenizer + task tokens + frozen tower: the EPCL point encoder shared by all tasks."""
from typing import Dict, Optional

from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..utils import points_as_float32
from .base_frozen_tower import BaseFrozenTower


@MODELS.register_module()
class EPCLEncoder(BaseModule):
    """Turn a point cloud into frozen-transformer features.

    ``points -> tokenizer -> (+ task tokens) -> frozen tower``. The tower's width D
    (``embed_dims``) is injected into the tokenizer and task-token configs.

    Args:
        tokenizer: config of a tokenizer returning at least ``centers`` (B, M, 3),
            ``tokens`` (B, M, D) and ``pos_embed`` (B, M, D).
        clip: config of a frozen tower (a ``BaseFrozenTower``: ``FrozenCLIPBackbone``, the
            paper's, or any other family).
        task_token: config of ``EPCLTaskToken``, or None for no task tokens.
        init_cfg: mmengine init config of the trainable parts.
    """

    def __init__(self, tokenizer: dict, clip: dict,
                 task_token: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.clip = MODELS.build(clip)
        if not isinstance(self.clip, BaseFrozenTower):
            raise TypeError(f'clip={clip.get("type")!r} built a {type(self.clip).__name__}, '
                            'which is not a BaseFrozenTower; EPCLEncoder needs a frozen '
                            "tower, e.g. clip=dict(type='FrozenCLIPBackbone', ...)")
        self.embed_dims = self.clip.embed_dims
        self.tokenizer = MODELS.build(self._with_width(tokenizer))
        self.task_token = (MODELS.build(self._with_width(task_token))
                           if task_token is not None else None)

    def _with_width(self, cfg: dict) -> dict:
        cfg = dict(cfg)
        given = cfg.setdefault('embed_dims', self.embed_dims)
        if given != self.embed_dims:
            raise ValueError(f"{cfg['type']} was configured with embed_dims={given} but "
                             f'the frozen tower is {self.embed_dims} wide; drop embed_dims '
                             'from its config (it is derived from the tower)')
        return cfg

    def forward(self, points: Tensor) -> Dict[str, Tensor]:
        """Encode points.

        Args:
            points: (B, N, 3 + C) coordinates first, then extra channels; any floating
                dtype (computed in float32).

        Returns:
            dict with everything the tokenizer returned (``centers`` (B, M, 3),
            ``tokens`` (B, M, D), ``pos_embed``, ...) plus ``cls_feat`` (B, D) and
            ``patch_feats`` (B, M, D), the tower outputs.
        """
        points = points_as_float32(points)  # float16 / float64 -> float32 (B, N, 3 + C)
        out = dict(self.tokenizer(points))
        task = (self.task_token(points.shape[0])
                if self.task_token is not None else None)  # (B, T, D) or None
        feats = self.clip(out['tokens'], out['pos_embed'], task)  # (B, 1 + M, D)
        out['cls_feat'] = feats[:, 0]  # (B, D)
        out['patch_feats'] = feats[:, 1:]  # (B, M, D)
        return out
