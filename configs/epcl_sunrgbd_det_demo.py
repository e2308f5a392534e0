# A CPU-sized version of epcl_sunrgbd_det.py: synthetic SUN RGB-D-format scenes with yawed
# furniture (tools/synthetic_data/create_synthetic_sunrgbd.py), the tiny test CLIP
# "EPCL-ViT-Tiny" (randomly initialised, frozen; nothing downloaded), small numbers.
# Same code path as the full config, the yaw bins included.
_base_ = ['./epcl_sunrgbd_det.py']

data_root = 'data/demo_sunrgbd_det/'
# The classes the synthetic generator places (SUNRGBD_DEMO_CLASSES, SUN RGB-D's names).
metainfo = dict(classes=('bed', 'table', 'sofa', 'chair', 'dresser', 'bookshelf'))
num_points = 2048  # points per scene fed to the model (the files hold 10000)

model = dict(
    backbone=dict(
        tokenizer=dict(num_tokens=128, num_neighbors=16,
                       encoder=dict(hidden_channels=(32, 64)),
                       pos_hidden=32),  # CPU-sized, as the ScanNet demo
        task_token=dict(num_tokens=4),
        clip=dict(arch='EPCL-ViT-Tiny', pretrained=None, embed_dropout=0.0)),
    bbox_head=dict(
        num_classes=6,
        num_queries=64,  # scenes hold 2-5 objects
        embed_dims=64,
        decoder=dict(num_layers=3, num_heads=4, ffn_channels=128, dropout=0.0),
        mlp_channels=64,
        mlp_dropout=0.0))  # a short run: no dropout

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='LoadAnnotations3D'),
    dict(type='RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.523599, 0.523599],
         scale_ratio_range=[0.85, 1.15], shift_height=False),
    dict(type='EPCLRandomCuboidCrop', min_points=6000,  # 60 % of a 10000-point scene
         aspect=0.75, min_crop=0.75, max_crop=1.0),
    dict(type='PointSample', num_points=num_points),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d'])
]
test_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='PointSample', num_points=num_points),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(times=1, dataset=dict(data_root=data_root, metainfo=metainfo,
                                       pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 25  # 256 scenes / batch 8 = 32 iterations per epoch: 800 steps
warmup_epochs = 1
optim_wrapper = dict(optimizer=dict(lr=2e-3))  # a higher rate for the short run
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=warmup_epochs, end=max_epochs,
         T_max=max_epochs - warmup_epochs, eta_min=1e-5, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    # 3 records per 32-iteration epoch (mmdet3d's analyze_logs.py drops each epoch's first)
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)
