"""The contract of a frozen transformer tower that reads point tokens (EPCL's backbone).

Everything outside ``models/backbones`` (``EPCLEncoder``, the frozen-weights check hook, the
optimizer constructor, the slim-checkpoint converter) relies on this interface only, so a
new tower family (an open_clip ViT today; a timm / DINOv2 / EVA ViT tomorrow) is one
subclass and one config entry.
"""
import hashlib
import json
import logging
import zlib
from abc import abstractmethod
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn


def tensor_digests(named: Iterable[Tuple[str, Tensor]],
                   algorithm: str = 'sha256') -> Dict[str, str]:
    """A digest of each tensor's dtype, shape and raw bytes, by name.

    Args:
        named: (name, tensor) pairs.
        algorithm: 'sha256' (identities) or 'crc32' (about 10x faster here; enough to
            notice any accidental write, which is what the training-time check needs).
    """
    if algorithm not in ('sha256', 'crc32'):
        raise ValueError(f"algorithm must be 'sha256' or 'crc32', got {algorithm!r}")
    out = {}
    for name, tensor in named:
        header = f'{tensor.dtype}{tuple(tensor.shape)}'.encode()
        data = memoryview(tensor.detach().to('cpu').contiguous().reshape(-1)
                          .view(torch.uint8).numpy())
        if algorithm == 'crc32':
            out[name] = f'{zlib.crc32(data, zlib.crc32(header)):08x}'
        else:
            digest = hashlib.sha256(header)
            digest.update(data)
            out[name] = digest.hexdigest()
    return out


def state_sha256(state: Dict[str, Tensor]) -> str:
    """One SHA-256 over a state dict: names in sorted order and each tensor's digest."""
    digests = tensor_digests(state.items())
    total = hashlib.sha256()
    for name in sorted(digests):
        total.update(f'{name}:{digests[name]};'.encode())
    return total.hexdigest()


def encode_identity(identity: dict) -> Tensor:
    """An identity dict as a uint8 tensor (checkpoint state dicts hold tensors only)."""
    data = json.dumps(identity, sort_keys=True).encode()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def decode_identity(tensor: Tensor) -> dict:
    """Inverse of :func:`encode_identity`."""
    return json.loads(bytes(tensor.to('cpu', torch.uint8).tolist()).decode())


def _slim_state_dict_hook(module: 'BaseFrozenTower', state_dict: dict, prefix: str,
                          local_metadata: dict) -> None:
    """State-dict hook: leave the frozen towers out and record their identity instead.

    A tower adopted from a checkpoint is kept (the config cannot rebuild it); towers that
    train are listed in the identity (``trained_towers``), so that such a checkpoint is
    not mistaken for one of a frozen tower.
    """
    if not module.slim_state_dict:
        return
    if not module.tower_from_checkpoint:
        for name in module.frozen_towers():
            tower_prefix = f'{prefix}{name}.'
            for key in [k for k in state_dict if k.startswith(tower_prefix)]:
                del state_dict[key]
    identity = module.identity()
    trained = [name for name in module.towers() if name not in module.frozen_towers()]
    if trained:
        identity['trained_towers'] = trained
    state_dict[prefix + module.identity_key] = encode_identity(identity)


def _log_adopted_tower(module: 'BaseFrozenTower', incompatible_keys) -> None:
    """Load-state-dict post-hook: after adopting a checkpoint's tower, hash what the tower
    now holds and log it."""
    before, module._adopted_from = module._adopted_from, None
    if before is None:
        return
    print_log(f'{type(module).__name__}: adopted the frozen tower of the loaded checkpoint '
              f'(adopt_checkpoint_tower=True): was {module.describe_identity(before)}, now '
              f'{module.describe_identity(module.identity())}. Checkpoints of this model keep '
              "the tower's weights (the config cannot rebuild them)",
              logger='current', level=logging.WARNING)


def _loads_as(value, own: Tensor) -> bool:
    """Whether loading ``value`` into ``own`` leaves the same values there (``copy_`` casts
    to the stored dtype: compare after that cast, one tensor at a time)."""
    if not isinstance(value, Tensor) or value.shape != own.shape:
        return False
    return torch.equal(value.to(device=own.device, dtype=own.dtype), own)


class BaseFrozenTower(BaseModule):
    """Base class of the pretrained transformer towers EPCL keeps frozen.

    A tower family provides:

    - its towers: submodules holding pretrained weights, built and loaded in ``__init__``,
      named by :meth:`towers` (direct children, e.g. ``['visual', 'text']``);
    - ``embed_dims``: the token width D, set in ``__init__``;
    - :meth:`forward` over a token sequence (``[CLS ; M tokens ; T task tokens]`` in,
      ``(B, 1 + M, D)`` out: CLS first, task-token outputs dropped);
    - its identity (a JSON-able dict saying which weights these are), handed to
      :meth:`freeze_towers` at the end of ``__init__``; optionally
      :meth:`weights_sha256`, :meth:`frozen_towers`, :meth:`describe_identity`.

    Implemented here, once for every family:

    - freezing: the frozen towers' parameters never require grad (:meth:`frozen_parameters`
      is what the optimizer constructor leaves out and the check hook fingerprints) and
      they stay in eval mode through ``model.train()``; gradients still flow through their
      activations to the trainable modules before them;
    - initialisation: ``init_weights()`` never touches a tower, frozen or not, and
      :meth:`apply` (the walk mmengine's initialisers use for the ``init_cfg`` of any
      parent) skips the towers;
    - slim checkpoints: ``state_dict()`` leaves the frozen towers out and stores their
      identity under ``<prefix><identity_key>``; loading such a state dict checks the
      identity (``identity_checked_keys``) and keeps the weights built from the config;
    - the frozen towers' weights are the config's on every load (``load_state_dict``,
      ``load_checkpoint``, ``init_cfg=Pretrained`` of a parent): a state dict whose frozen
      tensors hold other values (compared after the cast to the stored dtype), or one
      saved with the tower trainable (the unfrozen ablation), is refused, naming the
      tensor and both identities, unless ``adopt_checkpoint_tower``. A full state dict
      whose frozen tensors equal the tower's loads, and leaves the tower's bits as they are.

    Args:
        frozen: False trains the towers :meth:`towers` lists (an "unfrozen" ablation);
            :meth:`frozen_towers` may keep some frozen anyway.
        slim_state_dict: leave the frozen towers out of ``state_dict()`` (and so out of
            every checkpoint) and store their identity instead.
        adopt_checkpoint_tower: let a loaded checkpoint replace the frozen towers' weights
            (e.g. ``load_from`` a checkpoint of the unfrozen ablation, to train the heads
            on its tower). The identity is then recomputed from what the towers hold after
            loading (marked ``from_checkpoint``) and logged, and checkpoints keep the
            towers' weights, since the config cannot rebuild them.
        init_cfg: initialises this module's own non-tower parts only.
    """

    #: the state-dict key (after the module's prefix) a slim checkpoint stores the identity under
    identity_key: str = 'tower_identity'
    #: identity entries that must agree for a slim checkpoint to load
    identity_checked_keys: Tuple[str, ...] = ('sha256',)
    #: the constructor arguments that choose the weights (named in the refusal message)
    weights_config_keys: Tuple[str, ...] = ('pretrained',)
    #: the token width D; set by the subclass in ``__init__``
    embed_dims: int

    def __init__(self, frozen: bool = True, slim_state_dict: bool = True,
                 adopt_checkpoint_tower: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.frozen = frozen
        self.slim_state_dict = slim_state_dict
        self.adopt_checkpoint_tower = adopt_checkpoint_tower
        self._identity: dict = {}
        self._adopted_from: Optional[dict] = None  # identity before an adoption, until logged
        self._register_state_dict_hook(_slim_state_dict_hook)
        self.register_load_state_dict_post_hook(_log_adopted_tower)

    # ---- what a tower family provides ----------------------------------------------
    @abstractmethod
    def towers(self) -> List[str]:
        """Names of the direct submodules holding pretrained weights (frozen or not)."""

    @abstractmethod
    def forward(self, tokens: Tensor, pos_embed: Tensor,
                task_tokens: Optional[Tensor] = None) -> Tensor:
        """Run the tower on point tokens.

        Args:
            tokens: (B, M, D) point tokens.
            pos_embed: (B, M, D) their positional embedding.
            task_tokens: optional (B, T, D) task tokens.

        Returns:
            (B, 1 + M, D): the CLS output first, then the M token outputs.
        """

    def frozen_towers(self) -> List[str]:
        """Names of the towers that are frozen now: all of :meth:`towers` when ``frozen``."""
        return list(self.towers()) if self.frozen else []

    def weights_sha256(self, state: Optional[Dict[str, Tensor]] = None) -> str:
        """SHA-256 of the towers' weights.

        Args:
            state: tower weights under ``<tower>.<key>`` names (as :meth:`tower_state`);
                None: the towers' own.
        """
        return state_sha256(self.tower_state() if state is None else state)

    def tower_state(self) -> Dict[str, Tensor]:
        """The towers' tensors under ``<tower>.<key>`` names (no copies)."""
        return {f'{name}.{key}': value for name in self.towers()
                for key, value in getattr(self, name).state_dict().items()}

    def describe_identity(self, identity: Optional[dict]) -> str:
        """One line naming an identity, for messages."""
        if not identity:
            return f'an unknown {type(self).__name__}'
        fields = ', '.join(f'{k}={v}' for k, v in sorted(identity.items()) if k != 'sha256')
        return f"{fields}, sha256 {str(identity.get('sha256'))[:16]}..."

    # ---- implemented once ------------------------------------------------------------
    def freeze_towers(self, identity: dict) -> None:
        """Record the towers' identity and freeze them; call at the end of ``__init__``.

        The SHA-256 of towers that stay frozen is computed on first use (saving or loading
        a checkpoint), not here: hashing a ViT-B takes seconds. Towers that will train are
        hashed now, as loaded.

        Args:
            identity: which weights the towers hold (JSON-able; ``sha256`` is added).
        """
        if not isinstance(getattr(self, 'embed_dims', None), int):
            raise TypeError(f'{type(self).__name__} must set self.embed_dims (the token '
                            'width D, an int) before freeze_towers()')
        children = dict(self.named_children())
        for name in self.towers():
            if name not in children:
                raise ValueError(f'{type(self).__name__}.towers() names {name!r}, which is '
                                 f'not a submodule; submodules: {sorted(children)}')
        self._identity = dict(identity)
        for name in self.frozen_towers():
            tower = getattr(self, name)
            tower.requires_grad_(False)
            tower.eval()
        if set(self.frozen_towers()) != set(self.towers()):
            self.identity()  # the weights will change in training: hash them as loaded

    @property
    def tower_from_checkpoint(self) -> bool:
        """Whether the towers hold weights adopted from a checkpoint, not the config's."""
        return bool(self._identity.get('from_checkpoint'))

    def identity(self) -> dict:
        """Which weights the towers hold: what the subclass recorded plus ``sha256``.

        The SHA-256 is computed once, from what the towers hold; a load that changes
        them (only with ``adopt_checkpoint_tower``) drops it, to be computed again.
        """
        if 'sha256' not in self._identity:
            self._identity['sha256'] = self.weights_sha256()
        return dict(self._identity)

    def frozen_parameters(self) -> List[nn.Parameter]:
        """Parameters that must never be optimised: those of :meth:`frozen_towers`."""
        return [p for name in self.frozen_towers() for p in getattr(self, name).parameters()]

    def train(self, mode: bool = True) -> 'BaseFrozenTower':
        """Set the training mode of the trainable parts; frozen towers stay in eval."""
        super().train(mode)
        for name in self.frozen_towers():
            getattr(self, name).eval()
        return self

    def init_weights(self) -> None:
        """Initialise the non-tower parts (``init_cfg``, children); never a tower."""
        if self._is_init:
            return
        towers = set(self.towers())
        if self.init_cfg:
            from mmengine.model import initialize
            cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
            for cfg in cfgs:
                override = cfg.get('override', [])
                for item in override if isinstance(override, list) else [override]:
                    if item.get('name') in towers:
                        raise ValueError(f"init_cfg override names the tower {item['name']!r} "
                                         f'of {type(self).__name__}; towers keep their '
                                         'pretrained weights: drop that override')
            initialize(self, self.init_cfg)  # layer initialisers walk self.apply: no tower
        for name, child in self.named_children():
            if name not in towers and hasattr(child, 'init_weights'):
                child.init_weights()
        self._is_init = True

    def apply(self, fn) -> nn.Module:
        """``nn.Module.apply`` that never reaches a tower.

        mmengine's weight initialisers (the ``init_cfg`` of any parent: Xavier, Kaiming,
        Constant, ...) walk the model with ``apply``; skipping the towers here keeps every
        parent's ``init_weights()`` away from the pretrained weights. The module's own
        non-tower children are still visited.
        """
        towers = set(self.towers())
        for name, child in self.named_children():
            if name not in towers:
                child.apply(fn)
        fn(self)
        return self

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Keep the frozen towers the config's on every load; accept slim state dicts.

        Frozen tower tensors in ``state_dict`` must load as the values the towers hold;
        otherwise, or when the state dict was saved with a tower trainable, loading is
        refused unless ``adopt_checkpoint_tower``. If the identity saved under
        ``<prefix><identity_key>`` differs from this tower's in any of
        ``identity_checked_keys`` (the SHA-256 aside when adopting the checkpoint's
        tensors), loading is refused: the trained parts were fitted to the features of
        other weights. Frozen tensors a slim state dict lacks are taken from the towers.
        """
        key = prefix + self.identity_key
        saved = decode_identity(state_dict.pop(key)) if key in state_dict else None
        adopting = self._check_frozen_tensors(state_dict, prefix, saved)
        if saved is not None:
            self._check_saved_identity(saved, prefix, skip=('sha256', ) if adopting else ())
            for name in self.frozen_towers():
                tower = getattr(self, name)
                for sub_key, value in tower.state_dict(prefix=f'{prefix}{name}.').items():
                    state_dict.setdefault(sub_key, value)
        if adopting:
            before = self.identity()
            self._identity.pop('sha256', None)  # hashed again from the loaded weights
            self._identity['from_checkpoint'] = True
            if self._adopted_from is None:
                self._adopted_from = before
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def _check_frozen_tensors(self, state_dict: dict, prefix: str,
                              saved: Optional[dict]) -> bool:
        """Whether this load adopts the checkpoint's frozen tensors; refuses it without
        ``adopt_checkpoint_tower``. When it does not, the frozen tensors present are
        replaced by the towers' own (equal) ones, so the towers' bits stay as they are."""
        carried, differ = {}, []
        for name in self.frozen_towers():
            for sub_key, own in getattr(self, name).state_dict(prefix=f'{prefix}{name}.').items():
                if sub_key in state_dict:
                    carried[sub_key] = own
                    if not _loads_as(state_dict[sub_key], own):
                        differ.append(sub_key)
        towers = {k[len(prefix):].split('.', 1)[0] for k in carried}
        trained = sorted(set(self.frozen_towers())
                         & set((saved or {}).get('trained_towers') or ()))
        if set(trained) - towers:
            raise ValueError(
                f'this checkpoint was saved with {_join(sorted(set(trained) - towers))} of '
                f'{type(self).__name__} trained, but holds none of its tensors: its trained '
                'parts fit a tower it does not carry. Load the checkpoint as it was saved')
        if not differ and not trained:
            state_dict.update(carried)
            return False
        if self.adopt_checkpoint_tower:
            return True
        reasons = []
        if differ:
            reasons.append(f'tensor {differ[0]!r} differs ({len(differ)} of the '
                           f'{len(carried)} frozen tensors it holds differ)')
        if trained:
            reasons.append(f'it was saved with {_join(trained)} unfrozen (trained)')
        own = self.identity()
        theirs = {k: v for k, v in (saved or own).items() if k != 'trained_towers'}
        theirs.update(from_checkpoint=True, sha256=self.weights_sha256({
            name: (state_dict[prefix + name].to(value.dtype)
                   if isinstance(state_dict.get(prefix + name), Tensor) else value)
            for name, value in self.tower_state().items()}))
        where = f'model.{prefix}' if prefix else ''
        raise ValueError(
            f'this checkpoint would put other weights into the frozen tower of '
            f'{type(self).__name__}: {"; ".join(reasons)}.\n'
            f"  the config's tower:     {self.describe_identity(own)}\n"
            f"  the checkpoint's tower: {self.describe_identity(theirs)}\n"
            'A frozen tower keeps the weights its config names. To train on the '
            f"checkpoint's tower, set {where}adopt_checkpoint_tower=True (its identity is "
            'then computed from the loaded weights and logged); otherwise load a checkpoint '
            "trained on the config's tower")

    def _check_saved_identity(self, saved: dict, prefix: str, skip: Sequence[str]) -> None:
        """Refuse a checkpoint whose recorded identity differs from the towers'."""
        own = self.identity()
        if any(saved.get(k) != own.get(k) for k in self.identity_checked_keys if k not in skip):
            where = f'model.{prefix}' if prefix else ''
            raise ValueError(
                f'this checkpoint was trained on {self.describe_identity(saved)}, but '
                f'the model built from the config has {self.describe_identity(own)}. '
                f'Set {_join(where + k for k in self.weights_config_keys)} to the '
                'weights the checkpoint was trained with; its trained parts do not fit '
                'other weights')

    def _check_token_shapes(self, tokens: Tensor, pos_embed: Tensor,
                            task_tokens: Optional[Tensor]) -> None:
        """Refuse inputs that do not follow :meth:`forward`'s shapes, saying which."""
        width, name = self.embed_dims, type(self).__name__
        if tokens.dim() != 3 or tokens.shape[-1] != width:
            raise ValueError(f'tokens must be (B, M, {width}) for this {name}, '
                             f'got {tuple(tokens.shape)}')
        if pos_embed.shape != tokens.shape:
            raise ValueError(f'pos_embed {tuple(pos_embed.shape)} must match tokens '
                             f'{tuple(tokens.shape)}')
        if task_tokens is not None and (task_tokens.dim() != 3
                                        or task_tokens.shape[0] != tokens.shape[0]
                                        or task_tokens.shape[-1] != width):
            raise ValueError(f'task_tokens must be ({tokens.shape[0]}, T, {width}), '
                             f'got {tuple(task_tokens.shape)}')


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]
