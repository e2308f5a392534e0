# The EPCL encoder of every task: a point tokenizer (set by the task config), task
# tokens and a frozen CLIP image transformer. Task configs fill in the tokenizer and
# task-token counts and change what differs (e.g. `with_text` for classification).
#
# Which CLIP: the paper names only "CLIP" with 768-wide tokens (ViT-B/16 and ViT-B/32 are
# both 768 wide). Where the paper is silent the project follows the authors' released
# code (XiaoshuiHuang/EPCL), which loads OpenAI's ViT-B/32 in all three tasks:
#   classification/models/epcl_classification.py:163,
#   detection/pcdet/models/epcl_modules/transformer.py:61,
#   indoor_segmentation/model/network/epcl_modules/transformer.py:46.
# Their tower runs in float32: each of those files calls `.float()` on the tower right
# after `clip.load` (which loads fp16 on a GPU), and none of them trains with AMP.
# The patch size does not matter to EPCL: point tokens replace the image patches, and of
# the positional table only row 0 (the CLS token's) is used. ViT-B/16 is a documented
# variant: _base_/models/epcl_vit-b16.py, and the *_vit-b16.py task configs.
model = dict(
    backbone=dict(
        type='EPCLEncoder',
        clip=dict(
            type='FrozenCLIPBackbone',
            arch='ViT-B-32',
            # an open_clip tag ('openai' downloads OpenAI's weights: needs internet) or
            # a local file written by tools/model_converters/export_clip_weights.py:
            #   --cfg-options model.backbone.clip.pretrained=checkpoints/clip_vit_b_32.pth
            pretrained='openai',
            # activation: not set, so the weights decide: open_clip's metadata of the tag
            # 'openai' says QuickGELU (what OpenAI trained with, and what the authors'
            # `clip.load` builds; open_clip's plain ViT-B-32 config would build exact
            # GELU), and an exported file records its own
            activation=None,
            frozen=True,  # the paper's premise; False is the "unfrozen" ablation
            # float32 as the authors ran it; under --amp autocast still computes its
            # matmuls in half precision ('bfloat16' stores it so: see FrozenCLIPBackbone)
            frozen_dtype='float32',
            embed_dropout=0.3)))  # paper appendix: dropout 0.3 before the frozen CLIP
