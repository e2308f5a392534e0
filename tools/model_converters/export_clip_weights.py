"""Save open_clip weights as a local state-dict file that FrozenCLIPBackbone can load.

Run once on a machine with internet, then use the file offline:

    python tools/model_converters/export_clip_weights.py ViT-B-16 openai \\
        checkpoints/clip_vit_b_16.pth
    # in a config: clip=dict(type='FrozenCLIPBackbone', arch='ViT-B-16',
    #                        pretrained='checkpoints/clip_vit_b_16.pth')

``--visual-only`` drops the text tower (enough unless the model uses CLIP text
features, as the ModelNet40 classifier's text-alignment loss does).
"""
import argparse
import os
import os.path as osp

import torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('arch', help='open_clip architecture, e.g. ViT-B-16')
    parser.add_argument('pretrained', help="open_clip pretrained tag, e.g. 'openai'")
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--visual-only', action='store_true',
                        help='keep only the image tower (keys visual.*)')
    args = parser.parse_args(argv)

    import open_clip

    import epcl_mmdet3d  # noqa: F401  (registers the package's own architectures)
    model = open_clip.create_model(args.arch, pretrained=args.pretrained)
    state = model.state_dict()
    if args.visual_only:
        state = {k: v for k, v in state.items() if k.startswith('visual.')}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(state, args.out)
    print(f'saved {len(state)} tensors of {args.arch}/{args.pretrained} to {args.out}')


if __name__ == '__main__':
    main()
