"""Slim vs full checkpoints and the cost of checking the frozen CLIP, on the real configs.

    python benchmarks/bench_clip_checkpoint.py [--configs configs/epcl_scannet_det.py ...]

For each config the model is built as configured except that the CLIP weights are random
(``pretrained=None``, seeded, ``activation='quick_gelu'`` as the ``'openai'`` tag would
give): no weights can be downloaded here, and sizes and hashing times do not depend on
the values. A checkpoint is written as mmengine's CheckpointHook writes one (state dict +
AdamW state after one step of the trainable parameters), once slim and once full. The
hook's cost is the time of one ``EPCLFrozenWeightsCheckHook`` fingerprint of all frozen
tensors (median of ``--repeat``); the identity's, of hashing the CLIP once (done on first
save or load).
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import time
import warnings

import torch
from mmdet3d.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine.hooks.epcl_frozen_weights_check_hook import frozen_tower_tensors
from epcl_mmdet3d.models.backbones.base_frozen_tower import state_sha256, tensor_digests

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT = ['configs/epcl_scannet_det.py', 'configs/epcl_modelnet40_cls.py']


def _median(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def measure(config: str, repeat: int) -> dict:
    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    cfg.model.backbone.clip.update(pretrained=None, activation='quick_gelu')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = MODELS.build(cfg.model)
    clip = model.backbone.clip
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    for p in trainable:
        p.grad = torch.zeros_like(p)
    optimizer.step()  # creates the AdamW moments, as after the first training step
    frozen = frozen_tower_tensors(model)
    out = dict(config=config, arch=clip.arch, with_text=clip.text is not None,
               frozen_params=sum(t.numel() for t in frozen.values()),
               trainable_params=sum(p.numel() for p in trainable))
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ('slim', 'full'):
            clip.slim_state_dict = kind == 'slim'
            path = osp.join(tmp, f'{kind}.pth')
            torch.save({'meta': {}, 'state_dict': model.state_dict(),
                        'optimizer': optimizer.state_dict()}, path)
            out[f'{kind}_mib'] = os.path.getsize(path) / 2**20
            out[f'{kind}_state_mib'] = sum(v.numel() * v.element_size()
                                           for v in model.state_dict().values()) / 2**20
    clip.slim_state_dict = True
    out['slim_ratio'] = out['slim_mib'] / out['full_mib']
    out['slim_state_ratio'] = out['slim_state_mib'] / out['full_state_mib']
    out['hook_check_s'] = _median(lambda: tensor_digests(frozen.items(), 'crc32'), repeat)
    out['hook_check_sha256_s'] = _median(lambda: tensor_digests(frozen.items()), repeat)
    held = {k: v for k, v in frozen.items()}
    out['identity_sha_s'] = _median(lambda: state_sha256(held), 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--json', help='also write the figures to this file')
    args = parser.parse_args()
    rows = [measure(c, args.repeat) for c in args.configs]
    print(f'torch threads {torch.get_num_threads()}; CLIP weights random (see docstring)')
    print('| config | CLIP | frozen / trainable params | checkpoint full -> slim MiB '
          '(ratio) | state dict full -> slim MiB (ratio) | hook check crc32 / sha256 s | '
          'identity SHA-256 s |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        clip = r['arch'] + (' + text' if r['with_text'] else '')
        print(f"| {osp.basename(r['config'])} | {clip} | {r['frozen_params'] / 1e6:.1f} M / "
              f"{r['trainable_params'] / 1e6:.2f} M | {r['full_mib']:.1f} -> "
              f"{r['slim_mib']:.1f} ({r['slim_ratio']:.3f}) | {r['full_state_mib']:.1f} -> "
              f"{r['slim_state_mib']:.1f} ({r['slim_state_ratio']:.3f}) | "
              f"{r['hook_check_s']:.2f} / {r['hook_check_sha256_s']:.2f} | "
              f"{r['identity_sha_s']:.2f} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
