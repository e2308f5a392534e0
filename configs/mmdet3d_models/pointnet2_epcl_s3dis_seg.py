# mmdet3d's own PointNet++ (SSG) segmentation on S3DIS, unchanged except the
# backbone: EPCL's hierarchical tokenizer + a frozen CLIP ViT-B/16 on its deepest
# level. PointNet2Head decodes the same five levels as from PointNet2SASSG.
_base_ = ['mmdet3d::pointnet2/pointnet2_ssg_2xb16-cosine-50e_s3dis-seg.py']
# the plugin, and (opt-in) a CPU branch for mmcv's CUDA-only point ops that mmdet3d's
# PointNet++ layers and heads call; CUDA keeps mmcv's kernels; info files (.pkl) read
# with a data-only unpickler (a crafted file cannot run code)
custom_imports = dict(
    imports=['epcl_mmdet3d', 'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback',
             'epcl_mmdet3d.datasets.safe_info_files'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='EPCLPointNet2Backbone',
        # xyz + rgb + normalised xyz: 9, as the base's
        in_channels={{_base_.model.backbone.in_channels}},
        # PointNet2Head's FP inputs (768 = 512 + 256, 384 = 256 + 128, 320 = 256 + 64)
        # need levels 64, 128, 256 wide and a deepest level 512 wide, as SSG's
        out_channels=512,
        encoder=dict(
            type='EPCLEncoder',
            tokenizer=dict(
                type='EPCLHierarchicalTokenizer',
                # 4096-point blocks halved level by level; CLIP reads the 256 deepest
                num_points=(2048, 1024, 512, 256),
                num_neighbors=(32, 32, 32, 32),  # SSG's group size
                level_channels=(64, 128, 256),
                level_hidden=((32, 32), (64, 64), (128, 128))),
            task_token=dict(type='EPCLTaskToken', num_tokens=13),  # one per class
            clip=dict(type='FrozenCLIPBackbone', arch='ViT-B-16', pretrained='openai'))))
optim_wrapper = dict(constructor='EPCLOptimWrapperConstructor')
