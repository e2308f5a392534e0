# Ablation (paper table 6, "ViT frozen", AP50 38.2 vs 43.0): an ImageNet-trained ViT-B/16
# of the same shape replaces CLIP's image transformer, frozen as CLIP is. Make its
# weights once with tools/model_converters/convert_timm_vit_to_open_clip.py (timm's
# vit_base_patch16_224.augreg_in21k_ft_in1k renamed into open_clip's layout).
_base_ = ['../epcl_scannet_det.py']
model = dict(backbone=dict(clip=dict(
    arch='ViT-B-16',
    activation='gelu',  # timm's ViT runs exact GELU (files of the converter record it too)
    pretrained='checkpoints/imagenet_vit_b_16_open_clip.pth')))
