# Quick start: EPCL segmentation on the synthetic S3DIS-format rooms written by
#   python tools/synthetic_data/create_synthetic_s3dis.py data/demo_s3dis
# (150 pts/m2, 512-pt blocks)
# with the tiny CLIP shipped for tests (EPCL-ViT-Tiny: width 64, 2 layers, random
# frozen weights), small blocks and a short schedule, so it trains on a CPU in
# minutes. Same model and data code as epcl_s3dis_seg.py, smaller numbers.
_base_ = ['./epcl_s3dis_seg.py']

data_root = 'data/demo_s3dis/'
num_points = 512  # points per 1 m block; the synthetic rooms are sparse (~150 pts/m2)
block_size = 1.0
ignore_index = 13

model = dict(
    backbone=dict(
        tokenizer=dict(
            num_points=(256, 128, 64),  # 512 -> 256 -> 128 -> 64 tokens
            num_neighbors=(16, 16, 16),
            level_channels=(64, 128),
            level_hidden=((32, 32), (64, 64)),
            token_hidden=(64, 128)),
        clip=dict(arch='EPCL-ViT-Tiny', pretrained=None)),  # random frozen tower
    decode_head=dict(
        fp_channels=((128, 128), (128, 128), (128, 64)),
        channels=64),
    test_cfg=dict(num_points=num_points, block_size=block_size, batch_size=16))

backend_args = None
train_pipeline = [
    dict(type='EPCLLoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         use_color=True, load_dim=6, use_dim=[0, 1, 2, 3, 4, 5],
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False,
         with_mask_3d=False, with_seg_3d=True, backend_args=backend_args),
    dict(type='PointSegClassMapping'),
    dict(type='IndoorPatchPointSample', num_points=num_points,
         block_size=block_size, ignore_index=ignore_index,
         use_normalized_coord=True, enlarge_size=0.2, min_unique_num=None),
    dict(type='NormalizePointsColor', color_mean=None),
    dict(type='GlobalRotScaleTrans', rot_range=[0.0, 6.283185307179586],
         scale_ratio_range=[0.8, 1.2], translation_std=[0, 0, 0]),
    dict(type='RandomJitterPoints', jitter_std=[0.01, 0.01, 0.01],
         clip_range=[-0.05, 0.05]),
    dict(type='RandomDropPointsColor', drop_ratio=0.2),
    dict(type='Pack3DDetInputs', keys=['points', 'pts_semantic_mask'])
]
# 2 CPU cores: no worker processes
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_epochs = 8
# short demo schedule: a larger step than the paper's 3e-4 to converge in minutes
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    checkpoint=dict(interval=max_epochs), logger=dict(interval=10))
