"""A frozen open_clip image transformer that reads point tokens instead of patches."""
from contextlib import nullcontext
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from open_clip.transformer import QuickGELU
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from ...utils.dtype_support import resolve_dtype
from ..layers.quick_gelu import quick_gelu
from .base_frozen_tower import BaseFrozenTower, state_sha256
from .clip_weights import build_open_clip, clip_weights_sha256, describe

_DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16,
           'float16': torch.float16}


def _sdpa_block_forward(block: nn.Module, x: Tensor) -> Tensor:
    """open_clip ``ResidualAttentionBlock`` forward with fused attention.

    Same weights and maths as the block's own forward, but attention goes through
    ``F.scaled_dot_product_attention`` instead of ``nn.MultiheadAttention``, and the
    MLP's QuickGELU through :func:`quick_gelu` (the same numbers, one saved tensor
    instead of three).

    Args:
        block: an open_clip ``ResidualAttentionBlock`` (self-attention, batch-first).
        x: (B, L, D) tokens.

    Returns:
        (B, L, D) tokens.
    """
    attn = block.attn
    batch_size, length, width = x.shape
    heads = attn.num_heads
    h = block.ln_1(x)
    qkv = F.linear(h, attn.in_proj_weight, attn.in_proj_bias)  # (B, L, 3D)
    qkv = qkv.view(batch_size, length, 3, heads, width // heads)
    q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, H, L, D/H)
    out = F.scaled_dot_product_attention(q, k, v)  # (B, H, L, D/H)
    out = out.transpose(1, 2).reshape(batch_size, length, width)  # (B, L, D)
    x = x + block.ls_1(attn.out_proj(out))
    return x + block.ls_2(_mlp_forward(block.mlp, block.ln_2(x)))


def _mlp_forward(mlp: nn.Sequential, x: Tensor) -> Tensor:
    """open_clip's MLP (c_fc, act, [ln,] c_proj) layer by layer, QuickGELU as
    :func:`quick_gelu`: (B, L, D) -> (B, L, D)."""
    for layer in mlp:
        x = quick_gelu(x) if type(layer) is QuickGELU else layer(x)
    return x


def _supports_sdpa(block: nn.Module) -> bool:
    attn = getattr(block, 'attn', None)
    return (type(block).__name__ == 'ResidualAttentionBlock'
            and isinstance(attn, nn.MultiheadAttention)
            and attn._qkv_same_embed_dim and attn.batch_first
            and not hasattr(block, 'ln_1_kv'))


@MODELS.register_module()
class FrozenCLIPBackbone(BaseFrozenTower):
    """The transformer of a CLIP image encoder, frozen, fed with point tokens.

    Sequence layout: ``[CLS, M point tokens, T task tokens]``. CLS is CLIP's own class
    embedding plus positional row 0; point tokens arrive with their own positional
    embedding. Dropout is applied before CLIP's ``ln_pre``; task tokens are appended
    after it and carry no position. Only the CLS and point outputs are returned.

    Frozen is :class:`BaseFrozenTower`'s contract (towers ``visual`` and, with
    ``with_text``, ``text``): no gradients, eval mode, no ``init_cfg`` reaching them, and
    checkpoints holding their identity (``clip_identity``: arch, tag or file, seed,
    activation, SHA-256 of the weights as loaded, open_clip version) instead of their
    weights. Weights are built and loaded by ``clip_weights``.

    Args:
        arch: open_clip architecture name (any ViT: ViT-B-32, ViT-B-16, ViT-L-14, ...).
        pretrained: open_clip tag (e.g. ``'openai'``; needs internet), a local weights
            file (best one written by ``tools/model_converters/export_clip_weights.py``,
            which records the identity), or None (random weights from ``seed``, warned
            about).
        activation: 'gelu', 'quick_gelu' or None. None takes it from the tag's open_clip
            metadata (OpenAI: QuickGELU) or the exported file's; for a bare state dict or
            random weights, the arch's default (warned about for a bare file). A value
            that contradicts the tag or the file is an error.
        seed: seed of the random weights when ``pretrained`` is None, so the same tower
            is rebuilt when a slim checkpoint is loaded.
        frozen: False gives the paper's "unfrozen" ablation (the tower trains).
        embed_dropout: dropout on the token sequence before ``ln_pre`` (paper: 0.3).
        with_text: keep CLIP's text tower (for ``encode_text``); it is always frozen,
            also when the image tower is not.
        frozen_dtype: dtype the frozen weights are stored in ('float32' or
            'bfloat16'); inputs and outputs stay float32. A tower stored in a
            reduced dtype runs in it also under autocast (``--amp``), which would
            otherwise re-cast every frozen weight on every call: autocast caches
            casts only of weights that require grad.
        frozen_dtype_policy: 'auto' runs ``frozen_dtype`` only where this machine has
            fast kernels for it, else float32 with one warning (see
            :func:`~epcl_mmdet3d.utils.resolve_dtype`); 'force' uses it as asked.
        attn_impl: 'sdpa' (fused scaled-dot-product attention on the same weights)
            or 'native' (open_clip's own blocks).
        slim_state_dict: leave the frozen towers out of ``state_dict()`` (and so out of
            every checkpoint) and store their identity instead (``clip_identity``);
            loading checks it (SHA-256 and activation) and keeps the weights built from
            the config.
        with_cp: activation checkpointing per block: keep only each block's input
            and recompute its activations in the backward pass (the input-gradient
            backward of a frozen block still needs them). Less memory, more time.
        adopt_checkpoint_tower: let a loaded checkpoint (e.g. ``load_from`` one of the
            unfrozen ablation) replace the frozen image tower's weights; otherwise such a
            load is refused, naming the tensor and both identities. The identity is then
            computed from the loaded weights (``from_checkpoint``) and logged, and
            checkpoints keep the tower (see :class:`BaseFrozenTower`).
        init_cfg: initialises nothing of the towers (see :class:`BaseFrozenTower`).
    """

    identity_key = 'clip_identity'
    identity_checked_keys = ('sha256', 'activation')
    weights_config_keys = ('pretrained', 'arch', 'activation', 'seed')

    def __init__(self,
                 arch: str = 'ViT-B-16',
                 pretrained: Optional[str] = None,
                 frozen: bool = True,
                 embed_dropout: float = 0.3,
                 with_text: bool = False,
                 frozen_dtype: str = 'float32',
                 frozen_dtype_policy: str = 'auto',
                 attn_impl: str = 'sdpa',
                 activation: Optional[str] = None,
                 seed: int = 0,
                 slim_state_dict: bool = True,
                 with_cp: bool = False,
                 adopt_checkpoint_tower: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(frozen=frozen, slim_state_dict=slim_state_dict,
                         adopt_checkpoint_tower=adopt_checkpoint_tower, init_cfg=init_cfg)
        if frozen_dtype not in _DTYPES:
            raise ValueError(f'frozen_dtype must be one of {list(_DTYPES)}, got {frozen_dtype!r}')
        if not frozen and frozen_dtype != 'float32':
            raise ValueError('an unfrozen CLIP tower trains and must stay float32; '
                             "set frozen_dtype='float32' or frozen=True")
        if attn_impl not in ('sdpa', 'native'):
            raise ValueError(f"attn_impl must be 'sdpa' or 'native', got {attn_impl!r}")
        self.arch = arch
        self.pretrained = pretrained
        self.attn_impl = attn_impl
        self.with_cp = with_cp
        self.weight_dtype = resolve_dtype(_DTYPES[frozen_dtype], policy=frozen_dtype_policy,
                                          requested_by=f'frozen_dtype={frozen_dtype!r}')
        clip, identity = build_open_clip(arch, pretrained, with_text, activation, seed)
        self.activation = identity['activation']
        visual = clip.visual
        if not hasattr(visual, 'class_embedding') or not hasattr(visual, 'transformer'):
            raise ValueError(f'{arch} has no open_clip VisionTransformer image tower '
                             f'(got {type(visual).__name__}); use a ViT architecture')
        if not getattr(visual.transformer, 'batch_first', True):
            raise ValueError(f'{arch} runs its transformer sequence-first; '
                             'FrozenCLIPBackbone needs a batch-first open_clip ViT')
        self.visual = visual
        if with_text:
            clip.visual = None  # held once, as self.visual
        self.text = clip if with_text else None
        if with_text:
            import open_clip
            self._tokenizer = open_clip.get_tokenizer(arch)
        self.embed_dims = int(visual.class_embedding.shape[0])
        self.proj_dims = (int(visual.proj.shape[1]) if getattr(visual, 'proj', None)
                          is not None else self.embed_dims)
        self.embed_dropout = nn.Dropout(embed_dropout)
        # which blocks run fused attention, decided once rather than on every forward
        self._fused = [attn_impl == 'sdpa' and _supports_sdpa(block)
                       for block in visual.transformer.resblocks]
        self.freeze_towers(identity)
        if frozen and self.weight_dtype != torch.float32:
            self.identity()  # hash the weights as loaded, before the cast
            self.visual.to(self.weight_dtype)

    # ---- the towers and their identity (BaseFrozenTower) ----------------------------
    def towers(self) -> List[str]:
        """``visual`` and, with ``with_text``, ``text`` (the CLIP model minus its image tower)."""
        return ['visual'] + (['text'] if self.text is not None else [])

    def frozen_towers(self) -> List[str]:
        """The image tower when ``frozen``; the text tower, if kept, always: it only ever
        gives fixed class-name embeddings."""
        return (['visual'] if self.frozen else []) + (['text'] if self.text is not None else [])

    def weights_sha256(self, state: Optional[Dict[str, Tensor]] = None) -> str:
        """SHA-256 of the CLIP weights under open_clip's own key names (``visual.*`` and
        the text tower's keys), of the towers or of ``state`` (as ``tower_state()``)."""
        if state is None:
            return clip_weights_sha256(self.visual, self.text)
        return state_sha256({k[len('text.'):] if k.startswith('text.') else k: v
                             for k, v in state.items()})

    def describe_identity(self, identity: Optional[dict]) -> str:
        """e.g. 'ViT-B-16 from tag 'openai', activation quick_gelu, sha256 ...'."""
        return describe(identity)

    # ---- forward ----------------------------------------------------------------------
    def forward(self, tokens: Tensor, pos_embed: Tensor,
                task_tokens: Optional[Tensor] = None) -> Tensor:
        """Run the CLIP transformer on point tokens, as :meth:`BaseFrozenTower.forward`:
        tokens, pos_embed (B, M, D) and task_tokens (B, T, D) or None -> (B, 1 + M, D),
        CLIP's CLS output first, then the M point-token outputs."""
        self._check_token_shapes(tokens, pos_embed, task_tokens)
        batch_size, num_tokens, _ = tokens.shape
        visual = self.visual
        cls = (visual.class_embedding + visual.positional_embedding[0]).float()  # (D,)
        cls = cls.view(1, 1, -1).expand(batch_size, 1, -1)  # (B, 1, D)
        x = torch.cat([cls, tokens + pos_embed], dim=1)  # (B, 1 + M, D)
        x = self.embed_dropout(x)
        with self._stored_dtype(x):
            x = visual.ln_pre(x.to(self.weight_dtype))
            if task_tokens is not None:
                x = torch.cat([x, task_tokens.to(self.weight_dtype)],
                              dim=1)  # (B, 1+M+T, D)
            x = self.run_blocks(x)
        return x[:, :1 + num_tokens].float()  # drop task-token outputs, (B, 1 + M, D)

    def _stored_dtype(self, x: Tensor):
        """Autocast off for a frozen tower stored in a reduced dtype: it runs as stored
        (no per-call weight casts, the same numbers with and without AMP)."""
        if self.frozen and self.weight_dtype != torch.float32:
            return torch.autocast(x.device.type, enabled=False)
        return nullcontext()

    def run_blocks(self, x: Tensor) -> Tensor:
        """The transformer blocks, batch-first: (B, L, D) -> (B, L, D)."""
        for block, fused in zip(self.visual.transformer.resblocks, self._fused):
            run = partial(_sdpa_block_forward, block) if fused else block
            if self.with_cp and torch.is_grad_enabled() and x.requires_grad:
                x = checkpoint(run, x, use_reentrant=False)
            else:
                x = run(x)
        return x

    def project(self, x: Tensor) -> Tensor:
        """CLIP's ``ln_post`` and visual projection: (..., D) -> (..., E)."""
        with self._stored_dtype(x):
            x = self.visual.ln_post(x.to(self.weight_dtype))
            if getattr(self.visual, 'proj', None) is not None:
                x = x @ self.visual.proj
        return x.float()

    @torch.no_grad()
    def encode_text(self, texts: Sequence[str]) -> Tensor:
        """CLIP text embeddings (not normalised) of ``texts``: (n, E)."""
        if self.text is None:
            raise RuntimeError('encode_text needs FrozenCLIPBackbone(with_text=True)')
        device = self.visual.class_embedding.device
        tokens = self._tokenizer(list(texts)).to(device)
        return self.text.encode_text(tokens).float()
