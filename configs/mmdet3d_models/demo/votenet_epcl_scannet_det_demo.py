# The VoteNet demo with the EPCL backbone: the same delta as
# ../votenet_epcl_scannet_det.py over the baseline demo, with the tiny
# test CLIP (EPCL-ViT-Tiny: width 64, 2 layers, random frozen weights; no download).
_base_ = ['./votenet_pointnet2_scannet_det_demo.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='EPCLPointNet2Backbone',
        in_channels={{_base_.model.backbone.in_channels}},  # xyz + height: 4
        out_channels={{_base_.model.bbox_head.vote_module_cfg.in_channels}},  # 256
        encoder=dict(
            type='EPCLEncoder',
            # 256 tokens = the baseline demo's 256 seeds; 32 neighbours (2048 / 256 = 8
            # points per token: groups overlap, as PointNet++ balls do)
            tokenizer=dict(type='EPCLTokenizer', num_tokens=256, num_neighbors=32,
                           encoder=dict(type='EPCLMiniPointNet', hidden_channels=(64, 128)),
                           pos_hidden=64),
            task_token=dict(type='EPCLTaskToken', num_tokens=4),
            clip=dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny', pretrained=None,
                      embed_dropout=0.0))))
optim_wrapper = dict(constructor='EPCLOptimWrapperConstructor')
