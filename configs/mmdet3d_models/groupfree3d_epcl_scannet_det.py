# mmdet3d's own GroupFree3D (6 decoder layers, 256 proposals) on ScanNet, unchanged
# except the backbone: a frozen CLIP ViT-B/16 reading point tokens (EPCL).
_base_ = ['mmdet3d::groupfree3d/groupfree3d_head-L6-O256_4xb8_scannet-seg.py']
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
        in_channels={{_base_.model.backbone.in_channels}},  # xyz only (use_dim=[0, 1, 2])
        out_channels={{_base_.model.bbox_head.in_channels}},  # the head's seed width, 288
        encoder=dict(
            type='EPCLEncoder',
            # 1024 tokens = PointNet2SASSG's 1024 seeds; 64 neighbours as its first SA
            tokenizer=dict(type='EPCLTokenizer', num_tokens=1024, num_neighbors=64),
            task_token=dict(type='EPCLTaskToken', num_tokens=40),
            clip=dict(type='FrozenCLIPBackbone', arch='ViT-B-16', pretrained='openai'))))
# the base's AdamW, its decoder lr multipliers (custom_keys) and clipping stay
optim_wrapper = dict(constructor='EPCLOptimWrapperConstructor')
