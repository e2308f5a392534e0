"""Learnable task tokens generated from enumerated ids."""
from typing import Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class EPCLTaskToken(BaseModule):
    """T task tokens: ``Embedding(arange(T))`` -> Linear -> GELU -> Linear.

    The ids are the enumerated numbers 0..T-1 (the paper initialises task tokens
    from enumerated numbers); the tokens are the same for every sample.
    ``num_tokens=0`` disables them (the paper's "w/o task token" ablation).

    Args:
        num_tokens: T.
        embed_dims: D, the CLIP width; injected by EPCLEncoder.
        hidden_dims: hidden width of the MLP (defaults to D).
        init_cfg: mmengine init config.
    """

    def __init__(self, num_tokens: int = 40, embed_dims: int = 768,
                 hidden_dims: Optional[int] = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_tokens < 0:
            raise ValueError(f'num_tokens must be >= 0, got {num_tokens}')
        self.num_tokens = num_tokens
        self.embed_dims = embed_dims
        if num_tokens == 0:
            return
        hidden_dims = hidden_dims or embed_dims
        self.embedding = nn.Embedding(num_tokens, embed_dims)
        self.mlp = nn.Sequential(nn.Linear(embed_dims, hidden_dims), nn.GELU(),
                                 nn.Linear(hidden_dims, embed_dims))
        self.register_buffer('ids', torch.arange(num_tokens), persistent=False)

    def forward(self, batch_size: int) -> Optional[Tensor]:
        """Task tokens for a batch.

        Args:
            batch_size: B.

        Returns:
            (B, T, D) tokens, or None when T == 0.
        """
        if self.num_tokens == 0:
            return None
        tokens = self.mlp(self.embedding(self.ids))  # (T, D)
        return tokens.unsqueeze(0).expand(batch_size, -1, -1)  # (B, T, D)
