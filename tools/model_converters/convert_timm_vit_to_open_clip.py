"""Convert a timm ImageNet ViT into an open_clip visual-tower state dict.

The paper's "ViT instead of CLIP" ablation (table 6, AP50 38.2) swaps the CLIP image
transformer for an ImageNet-trained ViT of the same shape. ``FrozenCLIPBackbone`` reads
open_clip's ``VisionTransformer`` layout, so the timm weights are renamed into it with
the key table below and saved as a visual-only checkpoint (keys ``visual.*``) that records
its identity (``--arch``, ``timm:<model>``, exact GELU, SHA-256) as
``export_clip_weights.py`` files do:

    # online, once (timm downloads the weights):
    python tools/model_converters/convert_timm_vit_to_open_clip.py \\
        --timm-model vit_base_patch16_224.augreg_in21k_ft_in1k \\
        checkpoints/imagenet_vit_b_16_open_clip.pth
    # or from a timm checkpoint file you already have:
    python tools/model_converters/convert_timm_vit_to_open_clip.py --checkpoint vit_b_16.pth \\
        checkpoints/imagenet_vit_b_16_open_clip.pth

then ``clip=dict(arch='ViT-B-16', pretrained='checkpoints/imagenet_vit_b_16_open_clip.pth')``
(configs/ablations/epcl_scannet_det_imagenet-vit.py).

What does not carry over, and why it does not matter to EPCL:
- timm has no pre-transformer LayerNorm; open_clip's ``ln_pre`` is written with weight 1
  and bias 0, so it still normalises each token (an affine-free LayerNorm). EPCL's
  tokens come from its own trained tokenizer, which learns what to feed that norm;
- ``conv1`` (the pixel patch embedding) loses timm's bias: EPCL never runs it, points
  are tokenized by its own tokenizer;
- ``proj`` (CLIP's image-to-joint-space projection) has no ImageNet counterpart: written as
  a truncated identity; only a CLIP-text loss would use it (detection does not);
- timm's LayerNorms use eps 1e-6, open_clip's 1e-5 (a difference of order 1e-6).
Both ViTs use exact GELU (open_clip's ``ViT-B-16``, not the ``-quickgelu`` variant).
"""
import argparse
import os.path as osp
import re
from typing import Dict

import torch
from torch import Tensor

# (timm key pattern, open_clip visual key); {0} is the block index.
KEY_TABLE = (
    (r'cls_token', 'class_embedding'),
    (r'pos_embed', 'positional_embedding'),
    (r'patch_embed\.proj\.weight', 'conv1.weight'),
    (r'blocks\.(\d+)\.norm1\.(weight|bias)', 'transformer.resblocks.{0}.ln_1.{1}'),
    (r'blocks\.(\d+)\.attn\.qkv\.weight', 'transformer.resblocks.{0}.attn.in_proj_weight'),
    (r'blocks\.(\d+)\.attn\.qkv\.bias', 'transformer.resblocks.{0}.attn.in_proj_bias'),
    (r'blocks\.(\d+)\.attn\.proj\.(weight|bias)',
     'transformer.resblocks.{0}.attn.out_proj.{1}'),
    (r'blocks\.(\d+)\.norm2\.(weight|bias)', 'transformer.resblocks.{0}.ln_2.{1}'),
    (r'blocks\.(\d+)\.mlp\.fc1\.(weight|bias)', 'transformer.resblocks.{0}.mlp.c_fc.{1}'),
    (r'blocks\.(\d+)\.mlp\.fc2\.(weight|bias)', 'transformer.resblocks.{0}.mlp.c_proj.{1}'),
    (r'norm\.(weight|bias)', 'ln_post.{0}'),
)
# timm keys that have no place in open_clip's tower (see the module docstring).
DROPPED = (r'patch_embed\.proj\.bias', r'head\.(weight|bias)', r'fc_norm\..*')


def convert_timm_vit(timm_state: Dict[str, Tensor], proj_dims: int) -> Dict[str, Tensor]:
    """Rename a timm ViT state dict into open_clip's visual tower.

    Args:
        timm_state: state dict of a timm ``VisionTransformer`` (class token, no layer
            scale, no register tokens).
        proj_dims: output width E of open_clip's ``proj`` (e.g. 512 for ViT-B-16).

    Returns:
        state dict with keys ``visual.*`` for ``FrozenCLIPBackbone(pretrained=file)``.
    """
    out = {}
    for key, value in timm_state.items():
        for pattern, target in KEY_TABLE:
            match = re.fullmatch(pattern, key)
            if match:
                new = target.format(*match.groups())
                if new == 'class_embedding':
                    value = value.reshape(-1)  # (1, 1, D) -> (D,)
                elif new == 'positional_embedding':
                    value = value.reshape(value.shape[-2], value.shape[-1])  # (1+N, D)
                out['visual.' + new] = value.clone()
                break
        else:
            if not any(re.fullmatch(p, key) for p in DROPPED):
                raise ValueError(f'timm key {key!r} has no open_clip counterpart; only plain '
                                 'ViTs (class token, no layer scale / registers) convert')
    width = out['visual.class_embedding'].shape[0]
    out['visual.ln_pre.weight'] = torch.ones(width)
    out['visual.ln_pre.bias'] = torch.zeros(width)
    out['visual.proj'] = torch.eye(width, proj_dims)  # truncated identity, (D, E)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output .pth file (visual-only open_clip state dict)')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--timm-model', help='timm model name; downloads its pretrained weights')
    src.add_argument('--checkpoint', help='a local timm ViT state-dict file')
    parser.add_argument('--proj-dims', type=int, default=512,
                        help='open_clip embed_dim of the target arch (ViT-B-16: 512)')
    parser.add_argument('--arch', default='ViT-B-16',
                        help='the open_clip architecture the file fits (recorded in it)')
    args = parser.parse_args(argv)
    if args.timm_model:
        import timm
        state = timm.create_model(args.timm_model, pretrained=True).state_dict()
    else:
        state = torch.load(args.checkpoint, map_location='cpu', weights_only=True)
        state = state.get('state_dict', state.get('model', state))
    converted = convert_timm_vit(state, args.proj_dims)
    import open_clip

    import epcl_mmdet3d  # noqa: F401  (registers the package's own architectures)
    from epcl_mmdet3d.models.backbones.clip_weights import save_clip_file
    # the file records what it is, as export_clip_weights.py files do: timm's ViT runs
    # exact GELU, so FrozenCLIPBackbone builds it that way without being told
    source = args.timm_model or osp.basename(args.checkpoint)
    meta = save_clip_file(converted, dict(arch=args.arch, tag=f'timm:{source}',
                                          activation='gelu', open_clip=open_clip.__version__),
                          args.out, visual_only=True)
    print(f'saved {len(converted)} tensors ({args.arch}, gelu, sha256 {meta["sha256"][:16]}...) '
          f'to {args.out}')


if __name__ == '__main__':
    main()
