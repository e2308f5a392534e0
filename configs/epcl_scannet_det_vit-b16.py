# epcl_scannet_det.py with OpenAI's CLIP ViT-B/16 instead of the authors' ViT-B/32 (a variant:
# same width 768; see _base_/models/epcl_vit-b16.py). Everything else unchanged.
_base_ = ['./epcl_scannet_det.py']

model = dict(backbone=dict(clip=dict(arch='ViT-B-16')))
