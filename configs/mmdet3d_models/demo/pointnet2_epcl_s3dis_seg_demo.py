# The PointNet++ segmentation demo with the EPCL backbone: the same delta as
# ../pointnet2_epcl_s3dis_seg.py over the baseline
# demo, with the tiny test CLIP (EPCL-ViT-Tiny: width 64, 2 layers, random frozen
# weights) and the baseline demo's points per level.
_base_ = ['./pointnet2_pointnet2_s3dis_seg_demo.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='EPCLPointNet2Backbone',
        in_channels={{_base_.model.backbone.in_channels}},  # 9
        out_channels=512,  # PointNet2Head's deepest FP input (768 = 512 + 256)
        encoder=dict(
            type='EPCLEncoder',
            tokenizer=dict(
                type='EPCLHierarchicalTokenizer',
                num_points=(384, 256, 128, 64),  # the baseline demo's; CLIP reads 64
                num_neighbors=(16, 16, 16, 16),
                level_channels=(64, 128, 256),
                level_hidden=((32, 32), (64, 64), (128, 128)),
                token_hidden=(64, 128), pos_hidden=64),
            task_token=dict(type='EPCLTaskToken', num_tokens=13),  # one per class
            clip=dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny', pretrained=None,
                      embed_dropout=0.0))))
optim_wrapper = dict(constructor='EPCLOptimWrapperConstructor')
