"""Convert an EPCL checkpoint between full (frozen tower weights inside) and slim (identity only).

    python tools/model_converters/convert_slim_checkpoint.py CONFIG IN.pth OUT.pth --to slim
    python tools/model_converters/convert_slim_checkpoint.py CONFIG IN.pth OUT.pth --to full

Our checkpoints are slim: a frozen tower (``BaseFrozenTower``, e.g. ``FrozenCLIPBackbone``)
leaves its frozen weights out of the state dict and stores their identity (for CLIP:
architecture, tag or file, activation, SHA-256 of the weights) under
``<prefix><identity_key>`` (``clip_identity`` for CLIP). The CONFIG builds the model, and
with it the frozen towers from the weights the config names; that is where a full
checkpoint's frozen tensors come from (``--to full``), and what a full checkpoint's frozen
tensors must equal (``--to slim``: a checkpoint trained on other weights is refused, since
a slim one would be rebuilt on the config's). Everything else in the file (optimizer, schedulers,
meta, message hub) is kept as it is.
"""
import argparse
import os
import os.path as osp
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import torch
from torch import Tensor, nn


def find_frozen_towers(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """(prefix, module) of every ``BaseFrozenTower`` in ``model``."""
    from epcl_mmdet3d.models.backbones import BaseFrozenTower
    found = [(f'{name}.' if name else '', m) for name, m in model.named_modules()
             if isinstance(m, BaseFrozenTower)]
    if not found:
        raise ValueError(f'{type(model).__name__} has no frozen tower (BaseFrozenTower): '
                         'nothing to convert')
    return found


@contextmanager
def full_state_dicts(model: nn.Module) -> Iterator[None]:
    """Within the block, ``model.state_dict()`` holds the frozen tower weights again."""
    backbones = [m for _, m in find_frozen_towers(model)]
    before = [m.slim_state_dict for m in backbones]
    for m in backbones:
        m.slim_state_dict = False
    try:
        yield
    finally:
        for m, flag in zip(backbones, before):
            m.slim_state_dict = flag


def to_slim(model: nn.Module, state: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """A full state dict without its frozen tower tensors, with their identity instead.

    Args:
        model: the model the config builds (its frozen towers from the config's weights).
        state: a full state dict of that model.
    """
    from epcl_mmdet3d.models.backbones.base_frozen_tower import encode_identity
    with full_state_dicts(model):
        built = model.state_dict()
    slim_order = list(model.state_dict())
    slim_keys = set(slim_order)
    frozen = [k for k in built if k not in slim_keys]
    absent = [k for k in frozen if k not in state]
    if absent:
        raise ValueError(f'the checkpoint lacks {len(absent)} frozen tower tensors (e.g. '
                         f'{absent[:2]}): it is slim already, or of another model')
    differ = [k for k in frozen if state[k].shape != built[k].shape
              or not torch.equal(state[k].to(built[k].dtype), built[k])]
    if differ:
        raise ValueError(
            f'the checkpoint\'s frozen tower differs from the one the config loads in '
            f'{len(differ)} tensors (e.g. {differ[:3]}); a slim checkpoint would be rebuilt on '
            "the config's weights. Point the config's tower weights (for CLIP: "
            'clip.pretrained, arch, activation, seed) at those the checkpoint was trained with')
    identities = {prefix + tower.identity_key: encode_identity(tower.identity())
                  for prefix, tower in find_frozen_towers(model)}
    # the model's own key order, then anything else the checkpoint holds
    out = OrderedDict((k, identities[k] if k in identities else state[k])
                      for k in slim_order if k in identities or k in state)
    dropped = set(frozen)
    out.update((k, v) for k, v in state.items() if k not in out and k not in dropped)
    return out


def to_full(model: nn.Module, state: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """A slim state dict with the frozen tower tensors of the config's weights put back.

    Loading it into ``model`` checks the recorded identity first (a mismatch is an error).
    """
    from mmengine.runner.checkpoint import load_state_dict
    load_state_dict(model, state, strict=True)
    with full_state_dicts(model):
        return model.state_dict()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='input checkpoint')
    parser.add_argument('out', help='output checkpoint')
    parser.add_argument('--to', choices=['slim', 'full'], required=True)
    args = parser.parse_args(argv)

    from mmdet3d.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import epcl_mmdet3d  # noqa: F401  (registers modules; allow-lists mmengine checkpoints)
    from epcl_mmdet3d.engine.checkpointing import require_complete_checkpoint
    require_complete_checkpoint(args.checkpoint, 'convert')  # a truncated file, named
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    model = MODELS.build(cfg.model).eval()
    ckpt = torch.load(args.checkpoint, map_location='cpu', weights_only=True)
    wrapped = isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict)
    state = ckpt['state_dict'] if wrapped else ckpt
    state = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                        for k, v in state.items())
    new = to_slim(model, state) if args.to == 'slim' else to_full(model, state)
    if wrapped:
        ckpt['state_dict'] = new
    else:
        ckpt = new
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(ckpt, args.out)
    print(f'{args.checkpoint} ({os.path.getsize(args.checkpoint) / 2**20:.1f} MiB) -> '
          f'{args.to} {args.out} ({os.path.getsize(args.out) / 2**20:.1f} MiB)')


if __name__ == '__main__':
    main()
