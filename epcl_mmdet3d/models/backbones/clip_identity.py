"""Which CLIP a tower is: architecture, weights source, activation and SHA-256 of the weights.

OpenAI's CLIP weights were trained with QuickGELU (``x * sigmoid(1.702 x)``); most LAION /
DataComp tags with exact GELU. open_clip 3.3 records this per pretrained tag
(``open_clip.get_pretrained_cfg(arch, tag)['quick_gelu']``) but ``create_model`` only warns
when the architecture disagrees. Here the activation is resolved once, from the tag's own
metadata, from the metadata of a file written by ``tools/model_converters/
export_clip_weights.py``, or from the config, and a contradiction is an error.
"""
import hashlib
import json
import zlib
from typing import Dict, Iterable, Optional, Tuple

import torch
from torch import Tensor, nn

ACTIVATIONS = ('gelu', 'quick_gelu')
# what a weights file written by the export tool holds beside 'state_dict'
FILE_META_KEY = 'epcl_clip'
FILE_FORMAT = 'epcl-clip-weights/1'
# the key a slim checkpoint stores the frozen tower's identity under (a uint8 JSON tensor)
IDENTITY_KEY = 'clip_identity'
_QUICKGELU_SUFFIX = '-quickgelu'
# keys of open_clip's pretrained-tag table that concern downloading or preprocessing only;
# any other key might change the network, and we would not know how to apply it
_TAG_KEYS_WITHOUT_MODEL_EFFECT = frozenset(
    {'url', 'hf_hub', 'mean', 'std', 'interpolation', 'resize_mode', 'quick_gelu',
     'license', 'notes', 'name', 'hf_model_name'})


def arch_activation(arch: str) -> str:
    """The activation open_clip's own config of ``arch`` builds ('gelu' or 'quick_gelu')."""
    import open_clip
    cfg = open_clip.get_model_config(arch)
    if cfg is None:
        raise ValueError(f'unknown open_clip architecture {arch!r}; choose one of '
                         'open_clip.list_models(), e.g. ViT-B-16, ViT-B-32, ViT-L-14')
    return 'quick_gelu' if cfg.get('quick_gelu', False) else 'gelu'


def tag_activation(arch: str, tag: str) -> str:
    """The activation open_clip's pretrained tag ``arch/tag`` was trained with.

    Read from open_clip's own tag metadata; a ``-quickgelu`` architecture shares the tags of
    its base. Refuses a tag whose metadata carries a model setting we cannot apply.
    """
    import open_clip
    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg and arch.endswith(_QUICKGELU_SUFFIX):
        cfg = open_clip.get_pretrained_cfg(arch[:-len(_QUICKGELU_SUFFIX)], tag)
    if not cfg:
        raise ValueError(f'{tag!r} is not an open_clip pretrained tag of {arch} (tags: '
                         f'{open_clip.list_pretrained_tags_by_model(arch)})')
    unknown = sorted(set(cfg) - _TAG_KEYS_WITHOUT_MODEL_EFFECT)
    if unknown:
        raise ValueError(f'open_clip tag {arch}/{tag} carries model settings {unknown} that '
                         'FrozenCLIPBackbone does not know how to apply; it cannot promise to '
                         'build the network these weights were trained as')
    return 'quick_gelu' if cfg.get('quick_gelu', False) else 'gelu'


def create_kwargs(arch: str, activation: str) -> Dict[str, bool]:
    """``open_clip.create_model`` keyword arguments that build ``arch`` with ``activation``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f'activation must be one of {ACTIVATIONS}, got {activation!r}')
    own = arch_activation(arch)
    if own == activation:
        return {}
    if activation == 'quick_gelu':
        return {'force_quick_gelu': True}
    raise ValueError(f'{arch} is a QuickGELU architecture but activation={activation!r} was '
                     f'asked for; use the GELU architecture {base_arch(arch)!r} instead')


def resolved_model_cfg(arch: str, activation: str) -> dict:
    """open_clip's model config of ``arch`` as it is built with ``activation``."""
    import open_clip
    create_kwargs(arch, activation)  # refuses a contradiction
    cfg = open_clip.get_model_config(arch)
    cfg['quick_gelu'] = activation == 'quick_gelu'
    return cfg


def base_arch(arch: str) -> str:
    """``arch`` without open_clip's ``-quickgelu`` suffix."""
    return arch[:-len(_QUICKGELU_SUFFIX)] if arch.endswith(_QUICKGELU_SUFFIX) else arch


def built_activation(tower: nn.Module) -> str:
    """The activation the MLPs of a built open_clip tower use: 'gelu' or 'quick_gelu'."""
    from open_clip.transformer import QuickGELU
    kinds = {('quick_gelu' if isinstance(m, QuickGELU) else 'gelu')
             for m in tower.modules() if isinstance(m, (QuickGELU, nn.GELU))}
    if len(kinds) != 1:
        raise ValueError(f'could not tell the activation of {type(tower).__name__}: '
                         f'found {sorted(kinds) or "none"}')
    return kinds.pop()


def _tensor_bytes(tensor: Tensor) -> memoryview:
    flat = tensor.detach().to('cpu').contiguous().reshape(-1)
    return memoryview(flat.view(torch.uint8).numpy())


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
        if algorithm == 'crc32':
            out[name] = f'{zlib.crc32(_tensor_bytes(tensor), zlib.crc32(header)):08x}'
        else:
            digest = hashlib.sha256(header)
            digest.update(_tensor_bytes(tensor))
            out[name] = digest.hexdigest()
    return out


def state_sha256(state: Dict[str, Tensor]) -> str:
    """One SHA-256 over a state dict: names in sorted order and each tensor's digest."""
    digests = tensor_digests(state.items())
    total = hashlib.sha256()
    for name in sorted(digests):
        total.update(f'{name}:{digests[name]};'.encode())
    return total.hexdigest()


def check_finite(state: Dict[str, Tensor], source: str) -> None:
    """Refuse weights holding NaN or Inf, naming the first such tensor."""
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ValueError(f'CLIP weights {source!r}: tensor {name!r} holds {bad} NaN/Inf '
                             f'value(s) of {tensor.numel()}; the file is corrupt or was saved '
                             'from a diverged model. Export the weights again '
                             '(tools/model_converters/export_clip_weights.py)')


def encode_identity(identity: dict) -> Tensor:
    """An identity dict as a uint8 tensor (checkpoint state dicts hold tensors only)."""
    data = json.dumps(identity, sort_keys=True).encode()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def decode_identity(tensor: Tensor) -> dict:
    """Inverse of :func:`encode_identity`."""
    return json.loads(bytes(tensor.to('cpu', torch.uint8).tolist()).decode())


def describe(identity: Optional[dict]) -> str:
    """One line naming a CLIP identity, for messages."""
    if not identity:
        return 'an unknown CLIP'
    source = (f"tag {identity['tag']!r}" if identity.get('tag') else
              f"file {identity['file']!r}" if identity.get('file') else
              f"random weights (seed {identity.get('seed')})")
    return (f"{identity.get('arch')} from {source}, activation "
            f"{identity.get('activation')}, sha256 {str(identity.get('sha256'))[:16]}...")
