"""Build an open_clip model by name and fill it from a tag, a local file, or nothing."""
import os
import warnings
from typing import Dict, Optional

import torch
from mmengine.logging import MMLogger
from torch import Tensor, nn

_CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.ckpt', '.safetensors')


def _looks_like_path(pretrained: str) -> bool:
    return (os.sep in pretrained or pretrained.endswith(_CHECKPOINT_SUFFIXES)
            or os.path.exists(pretrained))


def read_state_dict(path: str) -> Dict[str, Tensor]:
    """Read a CLIP state dict from a local file with safe (weights-only) loading.

    Accepts a plain state dict, one wrapped in ``{'state_dict': ...}`` or
    ``{'model': ...}``, keys prefixed by ``module.``, and ``.safetensors`` files.

    Args:
        path: the checkpoint file.

    Returns:
        name -> tensor mapping.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'CLIP checkpoint {path!r} does not exist; give the path of a state dict '
            'saved from an open_clip model (see tools/model_converters/export_clip_weights.py), an '
            "open_clip pretrained tag such as 'openai' (needs internet), or None")
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        state = load_file(path, device='cpu')
    else:
        try:
            state = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as err:  # pickle errors come in many types
            raise ValueError(
                f'could not read {path!r} as a weights-only torch checkpoint ({err}). '
                'Save the weights as a plain state dict: '
                'torch.save(model.state_dict(), path)') from err
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f'{path!r} does not hold a state dict of tensors')
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


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


def build_open_clip(arch: str, pretrained: Optional[str], with_text: bool) -> nn.Module:
    """Create the open_clip model ``arch`` and fill its weights.

    Args:
        arch: an open_clip model name (``open_clip.list_models()``).
        pretrained: an open_clip pretrained tag (downloads; needs internet), a local
            checkpoint file, or None for random weights (warned about loudly).
        with_text: whether the text tower's weights must be loaded too; when False a
            visual-only checkpoint (keys ``visual.*``) is enough.

    Returns:
        The open_clip CLIP model, in eval mode, on CPU.
    """
    import open_clip
    if arch not in open_clip.list_models():
        raise ValueError(f'unknown open_clip architecture {arch!r}; choose one of '
                         f'open_clip.list_models(), e.g. ViT-B-16, ViT-B-32, ViT-L-14')
    logger = MMLogger.get_current_instance()
    if pretrained is None:
        msg = (f'FrozenCLIPBackbone: {arch} has RANDOM weights (pretrained=None). EPCL '
               'needs pretrained CLIP weights for meaningful results; set pretrained to '
               "an open_clip tag (e.g. 'openai') or a local checkpoint file.")
        warnings.warn(msg)
        logger.warning(msg)
        return open_clip.create_model(arch, pretrained=None).eval()
    if _looks_like_path(pretrained):
        state = read_state_dict(pretrained)
        model = open_clip.create_model(arch, pretrained=None)
        if not with_text and state and all(k.startswith('visual.') for k in state):
            load_into(model.visual, {k[len('visual.'):]: v for k, v in state.items()},
                      arch, pretrained)
        elif not with_text:
            load_into(model.visual, {k[len('visual.'):]: v for k, v in state.items()
                                     if k.startswith('visual.')}, arch, pretrained)
        else:
            load_into(model, state, arch, pretrained)
        logger.info(f'FrozenCLIPBackbone: loaded {arch} weights from {pretrained}')
        return model.eval()
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if pretrained not in tags:
        raise ValueError(f'{pretrained!r} is neither a local file nor an open_clip '
                         f'pretrained tag of {arch} (tags: {tags})')
    try:
        model = open_clip.create_model(arch, pretrained=pretrained)
    except Exception as err:
        raise RuntimeError(
            f'could not fetch open_clip weights {arch}/{pretrained} ({err}). Without '
            'internet, export them once on a machine that has it '
            '(tools/model_converters/export_clip_weights.py) and pass the local file') from err
    logger.info(f'FrozenCLIPBackbone: loaded {arch} weights {pretrained!r}')
    return model.eval()
