# The EPCL encoder of every task: a point tokenizer (set by the task config), task
# tokens and a frozen CLIP image transformer. Task configs fill in the tokenizer and
# task-token counts and change what differs (e.g. `with_text` for classification).
model = dict(
    backbone=dict(
        type='EPCLEncoder',
        clip=dict(
            type='FrozenCLIPBackbone',
            arch='ViT-B-16',  # the paper's CLIP image tower (ViT-B/16, width 768)
            # an open_clip tag ('openai' downloads OpenAI's weights: needs internet) or
            # a local file written by tools/model_converters/export_clip_weights.py:
            #   --cfg-options model.backbone.clip.pretrained=checkpoints/clip_vit_b_16.pth
            pretrained='openai',
            # activation: not set, so the weights decide: open_clip's metadata of the tag
            # 'openai' says QuickGELU (what OpenAI trained with; open_clip's plain ViT-B-16
            # config would build exact GELU), and an exported file records its own
            activation=None,
            frozen=True,  # the paper's premise; False is the "unfrozen" ablation
            embed_dropout=0.3)))  # paper appendix: dropout 0.3 before the frozen CLIP
