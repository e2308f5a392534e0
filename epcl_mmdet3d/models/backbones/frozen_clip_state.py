"""What keeps a frozen CLIP tower frozen across init and checkpoints, and says which it is.

Mixed into ``FrozenCLIPBackbone`` (kept apart so that file stays about the forward pass).
The host module provides ``visual`` (the image tower), ``text`` (the CLIP model holding
the text tower, or None), ``frozen``, ``slim_state_dict`` and ``_identity`` (the dict
``build_open_clip`` returned).
"""
from typing import List

from torch import nn

from .clip_identity import IDENTITY_KEY, decode_identity, describe, encode_identity
from .clip_loading import clip_weights_sha256


def slim_state_dict_hook(module: 'FrozenCLIPStateMixin', state_dict: dict, prefix: str,
                         local_metadata: dict) -> None:
    """State-dict hook: leave the frozen towers out and record their identity instead."""
    if not module.slim_state_dict:
        return
    for name in module._frozen_towers():
        tower_prefix = f'{prefix}{name}.'
        for key in [k for k in state_dict if k.startswith(tower_prefix)]:
            del state_dict[key]
    state_dict[prefix + IDENTITY_KEY] = encode_identity(module.identity())


class FrozenCLIPStateMixin:
    """Identity, slim state dicts and an ``init_cfg`` guard for a frozen CLIP tower."""

    def identity(self) -> dict:
        """Which CLIP this is: ``arch``, ``tag``, ``file`` (base name), ``seed`` (random
        weights), ``activation``, ``sha256`` of the CLIP weights as loaded (before any
        ``frozen_dtype`` cast) and the ``open_clip`` version.

        The SHA-256 of untouched frozen float32 towers is computed on first use (saving
        or loading a checkpoint), not at build: hashing ViT-B-16 takes seconds."""
        if 'sha256' not in self._identity:
            self._identity['sha256'] = clip_weights_sha256(self.visual, self.text)
        return dict(self._identity)

    def _frozen_towers(self) -> List[str]:
        """Names of the submodules that are frozen CLIP weights."""
        return (['visual'] if self.frozen else []) + (['text'] if self.text is not None else [])

    def apply(self, fn) -> nn.Module:
        """``nn.Module.apply`` that never reaches the CLIP towers.

        mmengine's weight initialisers (``init_cfg`` of any parent: Xavier, Kaiming,
        Constant, ...) walk the model with ``apply``; skipping the towers here keeps every
        parent's ``init_weights()`` away from the pretrained CLIP weights, whatever the
        parent. Our own modules (the embedding dropout) are still visited.
        """
        for name, child in self.named_children():
            if name not in ('visual', 'text'):
                child.apply(fn)
        fn(self)
        return self

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Accept slim state dicts: check the recorded identity, keep our own frozen weights.

        A slim checkpoint holds ``<prefix>clip_identity`` instead of the frozen towers. If
        that identity's SHA-256 or activation differs from this tower's, loading is refused
        (the trained parts were fitted to other CLIP features). A full state dict (frozen
        tensors present) loads as before.
        """
        key = prefix + IDENTITY_KEY
        if key in state_dict:
            saved = decode_identity(state_dict.pop(key))
            own = self.identity()
            where = f'model.{prefix}pretrained' if prefix else 'pretrained'
            if (saved.get('sha256') != own['sha256']
                    or saved.get('activation') != own['activation']):
                raise ValueError(
                    f'this checkpoint was trained on {describe(saved)}, but the model built '
                    f'from the config has {describe(own)}. Set {where} '
                    '(and arch / activation / seed) to the CLIP weights the checkpoint was '
                    'trained with; its trained parts do not fit another CLIP')
            for name in self._frozen_towers():
                module = getattr(self, name)
                for sub_key, value in module.state_dict(prefix=f'{prefix}{name}.').items():
                    state_dict.setdefault(sub_key, value)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
