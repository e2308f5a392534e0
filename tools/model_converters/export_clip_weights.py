"""Save open_clip weights as a local file that carries which CLIP they are.

Run once on a machine with internet, then use the file offline:

    python tools/model_converters/export_clip_weights.py ViT-B-16 openai \
        checkpoints/clip_vit_b_16.pth
    # in a config: clip=dict(type='FrozenCLIPBackbone', arch='ViT-B-16',
    #                        pretrained='checkpoints/clip_vit_b_16.pth')

The file is ``{'epcl_clip': identity, 'state_dict': weights}``; the identity holds the
architecture, the tag, the activation the weights were trained with (OpenAI: QuickGELU,
read from open_clip's tag metadata) and the SHA-256 of the weights. Loading it rebuilds
exactly that network; a config asking for another architecture or activation is refused.

PRETRAINED may also be a bare open_clip state-dict file (for instance one saved before
this tool recorded identities): give ``--activation`` then, since a bare file cannot say.

``--visual-only`` drops the text tower (enough unless the model uses CLIP text
features, as the ModelNet40 classifier's text-alignment loss does).
"""
import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('arch', help='open_clip architecture, e.g. ViT-B-16')
    parser.add_argument('pretrained',
                        help="open_clip pretrained tag (e.g. 'openai') or a bare state-dict file")
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--activation', choices=['gelu', 'quick_gelu'],
                        help='what the weights were trained with; required for a bare file, '
                             "checked against open_clip's metadata for a tag")
    parser.add_argument('--visual-only', action='store_true',
                        help='keep only the image tower (keys visual.*)')
    args = parser.parse_args(argv)

    import epcl_mmdet3d  # noqa: F401  (registers the package's own architectures)
    from epcl_mmdet3d.models.backbones.clip_weights import (
        build_open_clip,
        looks_like_path,
        save_clip_file,
    )
    if looks_like_path(args.pretrained) and args.activation is None:
        parser.error('a bare weights file does not say which activation it was trained '
                     'with: give --activation gelu or --activation quick_gelu')
    from epcl_mmdet3d.utils import CLIPWeightsUnavailable
    try:
        model, identity = build_open_clip(args.arch, args.pretrained,
                                          with_text=not args.visual_only,
                                          activation=args.activation)
    except CLIPWeightsUnavailable as err:
        parser.exit(2, f'export_clip_weights.py: cannot download {args.arch}/{args.pretrained} '
                    f'on this machine ({err.reason}). Run this same command on a machine with '
                    f'internet, copy {args.out} here, and set '
                    f'model.backbone.clip.pretrained={args.out}\n')
    meta = save_clip_file(model.state_dict(), identity, args.out, args.visual_only)
    print(f'saved {args.arch}/{args.pretrained} ({meta["activation"]}, sha256 '
          f'{meta["sha256"][:16]}...) to {args.out}')


if __name__ == '__main__':
    main()
