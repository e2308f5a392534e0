# A CPU-sized version of epcl_scannet_det.py for the demo (tools/demo.py, `make demo`):
# synthetic ScanNet-format rooms (tools/synthetic_data/create_synthetic_scannet.py),
# the tiny test CLIP
# "EPCL-ViT-Tiny" (width 64, 2 layers, randomly initialised and frozen: no weights are
# downloaded), and small numbers everywhere. Same code path as the full config.
_base_ = ['./epcl_scannet_det.py']

data_root = 'data/demo_scannet_det/'
# The classes the synthetic generator places (a subset of ScanNet's 18, same names).
metainfo = dict(classes=('cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf'))
num_points = 2048  # points per scene fed to the model (the files hold 10000)

model = dict(
    backbone=dict(
        tokenizer=dict(
            num_tokens=128,  # 2048 points / 128 tokens = 16 points per token
            num_neighbors=16,
            encoder=dict(hidden_channels=(32, 64)),  # mini-PointNet widths (CPU-sized)
            pos_hidden=32),
        task_token=dict(num_tokens=4),
        clip=dict(arch='EPCL-ViT-Tiny', pretrained=None, embed_dropout=0.0)),
    bbox_head=dict(
        num_classes=6,
        num_queries=64,  # rooms hold 3-7 objects
        embed_dims=64,
        decoder=dict(num_layers=3, num_heads=4, ffn_channels=128, dropout=0.0),
        mlp_channels=64,
        mlp_dropout=0.0))

train_pipeline = [
    dict(type='EPCLLoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_mask_3d=False, with_seg_3d=False),
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='EPCLRandomCuboidCrop', min_points=6000,  # 60 % of a 10000-point room
         aspect=0.8, min_crop=0.5, max_crop=1.0, prob=0.5),
    dict(type='PointSample', num_points=num_points),
    dict(type='RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5,
         flip_ratio_bev_vertical=0.5),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.087266, 0.087266],  # +-5 deg
         scale_ratio_range=[1.0, 1.0], shift_height=False),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d'])
]
test_pipeline = [
    # mmdet3d's own loader here: its inferencers (LidarDet3DInferencer) look it up by name
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='PointSample', num_points=num_points),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,  # the demo runs on a few CPU cores; no loader processes
    persistent_workers=False,
    dataset=dict(
        times=1,
        dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 25  # 256 training rooms / batch 8 = 32 iterations per epoch: 800 steps
warmup_epochs = 1  # 32 steps
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
    checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1,
                    save_best=None))
randomness = dict(seed=0)
