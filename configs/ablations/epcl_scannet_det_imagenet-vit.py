# Ablation (paper table 6, "ViT frozen", AP50 38.2 vs 43.0): an ImageNet-trained ViT of
# the same shape as the CLIP tower (ViT-B/32, as epcl_scannet_det.py) replaces CLIP's image
# transformer, frozen as CLIP is. Make its weights once with
#   python tools/model_converters/convert_timm_vit_to_open_clip.py --arch ViT-B-32 \
#       --timm-model vit_base_patch32_224.augreg_in21k_ft_in1k \
#       checkpoints/imagenet_vit_b_32_open_clip.pth
# (timm's weights renamed into open_clip's layout). With the ViT-B/16 variant
# (epcl_scannet_det_vit-b16.py) use vit_base_patch16_224.augreg_in21k_ft_in1k, --arch
# ViT-B-16 and arch='ViT-B-16' below.
_base_ = ['../epcl_scannet_det.py']
model = dict(backbone=dict(clip=dict(
    arch='ViT-B-32',
    activation='gelu',  # timm's ViT runs exact GELU (files of the converter record it too)
    pretrained='checkpoints/imagenet_vit_b_32_open_clip.pth')))
