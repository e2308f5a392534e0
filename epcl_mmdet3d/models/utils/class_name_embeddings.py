"""CLIP text embeddings of class names, prompt-ensembled (shared by every text head)."""
from typing import Sequence

import torch
import torch.nn.functional as F

DEFAULT_TEMPLATES = ('a point cloud of a {}.', 'a 3D model of a {}.')


@torch.no_grad()
def encode_class_names(clip, names: Sequence[str],
                       templates: Sequence[str] = DEFAULT_TEMPLATES) -> torch.Tensor:
    """Prompt-ensembled CLIP text embeddings of class names.

    Every template is filled with every name (underscores read as spaces) and encoded by
    the frozen CLIP text tower; each embedding is L2-normalised, averaged over the
    templates and normalised again (CLIP's prompt ensembling).

    Args:
        clip: a ``FrozenCLIPBackbone`` built with ``with_text=True`` (its ``encode_text``).
        names: n class names.
        templates: prompt templates, each with one ``{}``.

    Returns:
        torch.Tensor: (n, E) float32, L2-normalised, on the text tower's device.
    """
    templates = tuple(templates)
    if not templates:
        raise ValueError('give at least one prompt template, e.g. "a point cloud of a {}."')
    for t in templates:
        if t.count('{}') != 1:
            raise ValueError(f"prompt template must contain one '{{}}': {t!r}")
    names = [str(n) for n in names]
    if not names or any(not n.strip() for n in names):
        raise ValueError(f'class names must be non-empty strings, got {names!r}')
    prompts = [t.format(n.replace('_', ' ')) for n in names for t in templates]
    was_training = clip.training
    clip.eval()
    feats = clip.encode_text(prompts).float()  # (n * T, E)
    clip.train(was_training)
    feats = F.normalize(feats, dim=-1).view(len(names), len(templates), -1)
    return F.normalize(feats.mean(dim=1), dim=-1)  # (n, E)
