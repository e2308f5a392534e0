"""CLIP weights: build an open_clip model by name, fill it, and say which weights it holds.

The role open_clip's ``factory.py`` plays, for ``FrozenCLIPBackbone``: a model is built
from a pretrained tag, a local file or a seeded init (:func:`build_open_clip`), files are
read and written with their identity (:func:`read_clip_file`, :func:`save_clip_file`),
and the identity says which CLIP it is: architecture, tag or file, activation and the
SHA-256 of the weights.

OpenAI's CLIP weights were trained with QuickGELU (``x * sigmoid(1.702 x)``); most LAION /
DataComp tags with exact GELU. open_clip 3.3 records this per pretrained tag
(``open_clip.get_pretrained_cfg(arch, tag)['quick_gelu']``) but ``create_model`` only warns
when the architecture disagrees. Here the activation is resolved once, from the tag's own
metadata, from the metadata of a file written by ``tools/model_converters/
export_clip_weights.py``, or from the config, and a contradiction is an error.
"""
import os
import warnings
from typing import Dict, Optional, Tuple

import torch
from mmengine.logging import MMLogger
from torch import Tensor, nn

from ...utils.clip_download import create_tagged_clip
from .base_frozen_tower import state_sha256

ACTIVATIONS = ('gelu', 'quick_gelu')
# what a weights file written by the export tool holds beside 'state_dict'
FILE_META_KEY = 'epcl_clip'
FILE_FORMAT = 'epcl-clip-weights/1'
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


def check_finite(state: Dict[str, Tensor], source: str) -> None:
    """Refuse weights holding NaN or Inf, naming the first such tensor."""
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ValueError(f'CLIP weights {source!r}: tensor {name!r} holds {bad} NaN/Inf '
                             f'value(s) of {tensor.numel()}; the file is corrupt or was saved '
                             'from a diverged model. Export the weights again '
                             '(tools/model_converters/export_clip_weights.py)')


def describe(identity: Optional[dict]) -> str:
    """One line naming a CLIP identity, for messages."""
    if not identity:
        return 'an unknown CLIP'
    source = (f"tag {identity['tag']!r}" if identity.get('tag') else
              f"file {identity['file']!r}" if identity.get('file') else
              f"random weights (seed {identity.get('seed')})")
    if identity.get('from_checkpoint'):
        source = f'a checkpoint (started from {source})'
    return (f"{identity.get('arch')} from {source}, activation "
            f"{identity.get('activation')}, sha256 {str(identity.get('sha256'))[:16]}...")


_CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.ckpt', '.safetensors')


def looks_like_path(pretrained: str) -> bool:
    """Whether ``pretrained`` names a local file rather than an open_clip tag."""
    return (os.sep in pretrained or pretrained.endswith(_CHECKPOINT_SUFFIXES)
            or os.path.exists(pretrained))


def _warn(msg: str) -> None:
    warnings.warn(msg)
    MMLogger.get_current_instance().warning(msg)


def read_clip_file(path: str) -> Tuple[Dict[str, Tensor], Optional[dict]]:
    """Read a CLIP state dict, and its identity metadata if the export tool wrote it.

    Accepts a file of ``tools/model_converters/export_clip_weights.py`` (``{'epcl_clip':
    meta, 'state_dict': ...}``), a plain state dict, one wrapped in ``{'state_dict': ...}``
    or ``{'model': ...}``, keys prefixed by ``module.``, and ``.safetensors`` files (their
    metadata may hold the same identity under ``epcl_clip``, as JSON). Loading is
    weights-only; tensors holding NaN or Inf are refused, naming the tensor.

    Args:
        path: the weights file.

    Returns:
        (name -> tensor mapping, identity metadata dict or None for a bare state dict).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'CLIP checkpoint {path!r} does not exist; give the path of a state dict '
            'saved from an open_clip model (see tools/model_converters/export_clip_weights.py), '
            "an open_clip pretrained tag such as 'openai' (needs internet), or None")
    meta = None
    if path.endswith('.safetensors'):
        import json

        from safetensors import safe_open
        from safetensors.torch import load_file
        state = load_file(path, device='cpu')
        with safe_open(path, framework='pt') as handle:
            text = (handle.metadata() or {}).get(FILE_META_KEY)
        meta = json.loads(text) if text else None
    else:
        try:
            state = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as err:  # pickle errors come in many types
            raise ValueError(
                f'could not read {path!r} as a weights-only torch checkpoint ({err}). '
                'Save the weights as a plain state dict: '
                'torch.save(model.state_dict(), path)') from err
        if isinstance(state, dict) and isinstance(state.get(FILE_META_KEY), dict):
            meta = state[FILE_META_KEY]
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f'{path!r} does not hold a state dict of tensors')
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state.items()}
    check_finite(state, path)
    if meta is not None:
        if meta.get('format') != FILE_FORMAT:
            raise ValueError(f'{path!r} says it is {meta.get("format")!r}; this version reads '
                             f'{FILE_FORMAT!r}. Export the weights again with this version')
        if state_sha256(state) != meta.get('sha256'):
            raise ValueError(f'{path!r}: the weights do not match the SHA-256 recorded in the '
                             'file (corrupt or edited); export them again')
    return state, meta


def save_clip_file(state: Dict[str, Tensor], identity: dict, path: str,
                   visual_only: bool = False) -> dict:
    """Write CLIP weights with their identity, as :func:`read_clip_file` reads them back.

    Args:
        state: an open_clip state dict (``visual.*`` and text-tower keys).
        identity: at least ``arch`` and ``activation``; ``tag`` and ``open_clip`` if known.
        path: output ``.pth`` file.
        visual_only: keep only the ``visual.*`` tensors.

    Returns:
        The metadata written (with the SHA-256 of the tensors written).
    """
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()
             if not visual_only or k.startswith('visual.')}
    check_finite(state, path)
    meta = dict(format=FILE_FORMAT, arch=identity['arch'], tag=identity.get('tag'),
                activation=identity['activation'], open_clip=identity.get('open_clip'),
                visual_only=visual_only, sha256=state_sha256(state))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({FILE_META_KEY: meta, 'state_dict': state}, path)
    return meta


def load_into(module: nn.Module, state: Dict[str, Tensor], arch: str, source: str) -> None:
    """Load ``state`` into ``module`` strictly, with an error that names what does not fit.

    Args:
        module: the model (or tower) to fill.
        state: its expected state dict.
        arch: the open_clip architecture name, for the error message.
        source: where ``state`` came from, for the error message.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
                  for k, v in own.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or mismatched:
        lines = [f'checkpoint {source!r} does not fit open_clip architecture {arch!r}:']
        if mismatched:
            lines.append(f'  {len(mismatched)} shape mismatches, e.g. ' + '; '.join(mismatched[:3]))
        if missing:
            lines.append(f'  {len(missing)} missing keys, e.g. {missing[:3]}')
        if unexpected:
            lines.append(f'  {len(unexpected)} unexpected keys, e.g. {unexpected[:3]}')
        lines.append('  Set `arch` to the architecture the checkpoint was saved from '
                     '(e.g. ViT-B-16 vs ViT-B-32 vs ViT-L-14).')
        raise ValueError('\n'.join(lines))
    module.load_state_dict(state, strict=True)


def _file_activation(arch: str, path: str, meta: Optional[dict],
                     activation: Optional[str]) -> str:
    """The activation of a weights file: its metadata, else the config, else assumed."""
    if meta is not None:
        if base_arch(meta['arch']) != base_arch(arch):
            raise ValueError(f'{path!r} holds {meta["arch"]} weights (tag {meta.get("tag")!r}) '
                             f'but the config asks for arch={arch!r}; set arch to '
                             f'{meta["arch"]!r}')
        if activation is not None and activation != meta['activation']:
            raise ValueError(f'{path!r} holds weights trained with {meta["activation"]} '
                             f'({meta["arch"]}/{meta.get("tag")}) but the config asks for '
                             f'activation={activation!r}; drop activation from the config '
                             '(the file says which) or point pretrained at other weights')
        return meta['activation']
    if activation is not None:
        return activation
    assumed = arch_activation(arch)
    _warn(f'FrozenCLIPBackbone: {path!r} is a bare state dict that does not say which '
          f'activation its weights were trained with; ASSUMING {assumed!r} (the default of '
          f"open_clip's {arch} config). OpenAI's CLIP weights need 'quick_gelu', most LAION / "
          "DataComp ones 'gelu'. State it in the config (clip=dict(activation='quick_gelu')) "
          'or export the weights with tools/model_converters/export_clip_weights.py, which '
          'records it in the file.')
    return assumed


def build_open_clip(arch: str, pretrained: Optional[str], with_text: bool,
                    activation: Optional[str] = None,
                    seed: int = 0) -> Tuple[nn.Module, dict]:
    """Create the open_clip model ``arch`` as its weights were trained, and fill it.

    Args:
        arch: an open_clip model name (``open_clip.list_models()``).
        pretrained: an open_clip pretrained tag (downloads; needs internet), a local
            weights file, or None for seeded random weights (warned about loudly).
        with_text: whether the text tower's weights must be loaded too; when False a
            visual-only checkpoint (keys ``visual.*``) is enough.
        activation: 'gelu', 'quick_gelu' or None (take it from the tag's metadata or
            the file's; for a bare file or random weights, the arch's default). A value
            that contradicts the tag or the file is an error.
        seed: seed of the random weights when ``pretrained`` is None (so a slim
            checkpoint can rebuild the same tower).

    Returns:
        (the open_clip CLIP model in eval mode on CPU, its identity dict: ``arch``,
        ``tag``, ``file``, ``seed``, ``activation``, ``open_clip`` version; the caller
        adds the ``sha256`` of the weights it keeps, see :func:`clip_weights_sha256`).
    """
    import open_clip
    if arch not in open_clip.list_models():
        raise ValueError(f'unknown open_clip architecture {arch!r}; choose one of '
                         f'open_clip.list_models(), e.g. ViT-B-16, ViT-B-32, ViT-L-14')
    logger = MMLogger.get_current_instance()
    identity = dict(arch=arch, tag=None, file=None, seed=None)
    if pretrained is None:
        _warn(f'FrozenCLIPBackbone: {arch} has RANDOM weights (pretrained=None, seed {seed}). '
              'EPCL needs pretrained CLIP weights for meaningful results; set pretrained to '
              "an open_clip tag (e.g. 'openai') or a local checkpoint file.")
        activation = activation or arch_activation(arch)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = open_clip.create_model(arch, pretrained=None,
                                           **create_kwargs(arch, activation))
        identity['seed'] = seed
    elif looks_like_path(pretrained):
        state, meta = read_clip_file(pretrained)
        activation = _file_activation(arch, pretrained, meta, activation)
        model = open_clip.create_model(arch, pretrained=None, **create_kwargs(arch, activation))
        if not with_text:
            state = {k: v for k, v in state.items() if k.startswith('visual.')}
            load_into(model.visual, {k[len('visual.'):]: v for k, v in state.items()},
                      arch, pretrained)
        else:
            load_into(model, state, arch, pretrained)
        identity.update(file=os.path.basename(pretrained),
                        tag=meta.get('tag') if meta else None)
        logger.info(f'FrozenCLIPBackbone: loaded {arch} weights from {pretrained}')
    else:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        if pretrained not in tags:
            raise ValueError(f'{pretrained!r} is neither a local file nor an open_clip '
                             f'pretrained tag of {arch} (tags: {tags})')
        trained_as = tag_activation(arch, pretrained)
        if activation is not None and activation != trained_as:
            raise ValueError(f'open_clip weights {arch}/{pretrained} were trained with '
                             f'{trained_as} but the config asks for activation={activation!r}; '
                             'drop activation from the config (the tag decides it)')
        activation = trained_as
        # fails within seconds, naming the config key, where no hub answers
        model = create_tagged_clip(arch, pretrained, **create_kwargs(arch, activation))
        identity['tag'] = pretrained
        logger.info(f'FrozenCLIPBackbone: loaded {arch} weights {pretrained!r} '
                    f'({activation})')
    towers = dict(visual=model.visual, text=model.transformer) if with_text \
        else dict(visual=model.visual)
    for name, tower in towers.items():  # a guard on open_clip, not on users
        if built_activation(tower) != activation:
            raise RuntimeError(f'open_clip built the {name} tower of {arch} with '
                               f'{built_activation(tower)} instead of {activation}')
    if pretrained is not None and not looks_like_path(pretrained):
        check_finite({k: v for k, v in model.state_dict().items()
                      if with_text or k.startswith('visual.')}, f'{arch}/{pretrained}')
    identity.update(activation=activation, open_clip=open_clip.__version__)
    return model.eval(), identity


def clip_weights_sha256(visual: nn.Module, text: Optional[nn.Module]) -> str:
    """SHA-256 identity of CLIP towers, under open_clip's own key names.

    Args:
        visual: the image tower (keys ``visual.*``).
        text: the CLIP model holding the text tower (its ``visual`` detached), or None.
    """
    state = {f'visual.{k}': v for k, v in visual.state_dict().items()}
    if text is not None:
        state.update(text.state_dict())
    return state_sha256(state)
