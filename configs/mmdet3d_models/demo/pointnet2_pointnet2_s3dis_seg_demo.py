# The baseline of the demo: mmdet3d's own PointNet++ (SSG) segmentation on the
# synthetic S3DIS-format rooms, CPU-sized. Write the rooms first:
#   python tools/synthetic_data/create_synthetic_s3dis.py data/demo_s3dis
# pointnet2_epcl_s3dis_seg_demo.py is this config with the EPCL backbone.
_base_ = ['mmdet3d::pointnet2/pointnet2_ssg_2xb16-cosine-50e_s3dis-seg.py']
# the plugin, and (opt-in) a CPU branch for mmcv's CUDA-only point ops that mmdet3d's
# PointNet++ layers and heads call; CUDA keeps mmcv's kernels; info files (.pkl) read
# with a data-only unpickler (a crafted file cannot run code)
custom_imports = dict(
    imports=['epcl_mmdet3d', 'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback',
             'epcl_mmdet3d.datasets.safe_info_files'],
    allow_failed_imports=False)

data_root = 'data/demo_s3dis/'
num_points = 512  # points per 1 m block; the synthetic rooms are sparse (~150 pts/m2)

model = dict(
    # CPU-sized for 512-point blocks (base: 4096 -> 1024, 256, 64, 16)
    backbone=dict(num_points=(384, 256, 128, 64)),
    test_cfg=dict(num_points=num_points, batch_size=16))

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         use_color=True, load_dim=6, use_dim=[0, 1, 2, 3, 4, 5]),
    dict(type='LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False,
         with_mask_3d=False, with_seg_3d=True),
    dict(type='PointSegClassMapping'),
    dict(type='IndoorPatchPointSample', num_points=num_points, block_size=1.0,
         ignore_index=13,  # len(class_names), as the base
         use_normalized_coord=True, enlarge_size=0.2, min_unique_num=None),
    dict(type='NormalizePointsColor', color_mean=None),
    dict(type='Pack3DDetInputs', keys=['points', 'pts_semantic_mask'])
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

# the base's Adam (lr 0.001) and cosine decay, shortened to 48 steps of 8 blocks
max_iters = 48
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
                        by_epoch=False, begin=0, end=max_iters)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=8),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
