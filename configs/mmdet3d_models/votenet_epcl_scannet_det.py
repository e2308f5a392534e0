# mmdet3d's own VoteNet on ScanNet, unchanged except the backbone: a frozen CLIP
# ViT-B/16 reading point tokens (EPCL) instead of PointNet++. VoteHead reads the
# same PointNet++ contract (seeds = fp_xyz / fp_features / fp_indices).
_base_ = ['mmdet3d::votenet/votenet_8xb8_scannet-3d.py']
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
        # xyz + height (the base pipeline's shift_height=True): 4, as the base's
        in_channels={{_base_.model.backbone.in_channels}},
        # the seeds' width VoteHead's vote module expects (256)
        out_channels={{_base_.model.bbox_head.vote_module_cfg.in_channels}},
        encoder=dict(
            type='EPCLEncoder',
            # 1024 tokens = PointNet2SASSG's 1024 seeds; 64 neighbours as its first SA
            tokenizer=dict(type='EPCLTokenizer', num_tokens=1024, num_neighbors=64),
            task_token=dict(type='EPCLTaskToken', num_tokens=40),
            # 'openai' needs internet; offline, the path of a local open_clip checkpoint
            clip=dict(type='FrozenCLIPBackbone', arch='ViT-B-16', pretrained='openai'))))
# the base's AdamW and schedule; the frozen tower never reaches the optimizer
optim_wrapper = dict(constructor='EPCLOptimWrapperConstructor')
