# A variant of the EPCL encoder block (_base_/models/epcl_vit-b32.py) with OpenAI's
# CLIP ViT-B/16 instead of ViT-B/32: same width (768), depth and heads; only the image
# patch size (unused by EPCL) and so the pretrained weights differ. Neither the paper
# (which names only "CLIP", 768 wide) nor the authors' code (ViT-B/32) uses it; the
# *_vit-b16.py task configs are its runs.
_base_ = ['./epcl_vit-b32.py']

model = dict(backbone=dict(clip=dict(
    arch='ViT-B-16',
    # the tag 'openai' or a local file, e.g. from
    #   tools/model_converters/export_clip_weights.py ViT-B-16 openai checkpoints/clip_vit_b_16.pth
    pretrained='openai')))
