# EPCL semantic segmentation on S3DIS, Area 5 held out (paper section 4.3:
# mIoU 72.6 / mAcc 84.1). A hierarchical tokenizer (4096 -> 2048 -> 1024 -> 512
# points) feeds its deepest level to a frozen CLIP ViT-B/32; a feature-propagation
# head decodes back to every point. Data: mmdet3d's S3DIS converter output
# (or tools/synthetic_data/create_synthetic_s3dis.py for a synthetic stand-in)
# under data/s3dis/.
_base_ = [
    'mmdet3d::_base_/datasets/s3dis-seg.py',
    './_base_/default_runtime.py',
    './_base_/models/epcl_vit-b32.py',
    './_base_/schedules/epcl_adamw_decay-all.py',
]

class_names = ('ceiling', 'floor', 'wall', 'beam', 'column', 'window', 'door',
               'table', 'chair', 'sofa', 'bookcase', 'board', 'clutter')
num_classes = 13
ignore_index = 13  # mmdet3d's S3DIS convention: len(class_names)
num_points = 4096  # points per 1 m x 1 m block (paper: 4096)
block_size = 1.0  # metres, the standard S3DIS block
# channels of an input point: xyz (block-centred) + RGB (/255) + xyz / room max
in_channels = 9

model = dict(
    # EncoderDecoder3D whose decode head takes the CLIP width and the tokenizer's
    # level widths from the backbone (nothing to keep in step here)
    type='EPCLEncoderDecoder3D',
    data_preprocessor=dict(type='Det3DDataPreprocessor'),
    backbone=dict(  # CLIP ViT-B/32, the authors': _base_/models/epcl_vit-b32.py
        tokenizer=dict(
            type='EPCLHierarchicalTokenizer',
            # paper: FPS 4096 -> 2048 -> 1024, three levels; the third level
            # (512) is the one CLIP reads, halving again like the first two
            num_points=(2048, 1024, 512),
            num_neighbors=(32, 32, 32),  # PointNet++ SSG's group size
            in_channels=in_channels,
            level_channels=(128, 256),  # feature widths of the two grouping levels
            level_hidden=((64, 64), (128, 128)),  # group encoder widths per level
            token_hidden=(128, 256),
            encoder=dict(type='EPCLMiniPointNet')),  # the group encoder of every level
        # the paper gives no task-token count for segmentation: one per class
        task_token=dict(type='EPCLTaskToken', num_tokens=num_classes)),
    decode_head=dict(
        type='EPCLSegHead',
        # CLIP's outputs go raw into the head, as in the authors' released segmentation
        # code (indoor_segmentation/model/network/epcl.py, output_layer: Linear + BN); the
        # paper is silent. The detection and classification heads put a LayerNorm there;
        # the demo measured no difference beyond noise either way (docs/segmentation.md)
        in_norm=False,
        # deepest step first: 512 -> 1024 -> 2048 -> 4096 points
        fp_channels=((256, 256), (256, 256), (256, 128)),
        channels=128,
        num_classes=num_classes,
        dropout_ratio=0.5,
        ignore_index=ignore_index,
        loss_decode=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            class_weight=None,  # seg_info/*_label_weight.npy can go here
            loss_weight=1.0)),
    train_cfg=dict(),
    # whole rooms at test time: overlapping 1 m blocks (stride 0.5 m), the
    # logits of points seen in several blocks averaged
    test_cfg=dict(
        mode='slide',
        num_points=num_points,
        block_size=block_size,
        sample_rate=0.5,
        use_normalized_coord=True,
        batch_size=24))  # blocks per forward pass

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
         use_normalized_coord=True,
         enlarge_size=0.2,  # metres of context sampled around the block
         min_unique_num=None),
    dict(type='NormalizePointsColor', color_mean=None),
    # mmdet3d's S3DIS augmentations (as for PointNet++): any yaw, +-20 % scale
    dict(type='GlobalRotScaleTrans', rot_range=[0.0, 6.283185307179586],
         scale_ratio_range=[0.8, 1.2], translation_std=[0, 0, 0]),
    dict(type='RandomJitterPoints', jitter_std=[0.01, 0.01, 0.01],
         clip_range=[-0.05, 0.05]),
    dict(type='RandomDropPointsColor', drop_ratio=0.2),
    dict(type='Pack3DDetInputs', keys=['points', 'pts_semantic_mask'])
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))

# the paper's AdamW, decay on every parameter as in the authors' code
# (_base_/schedules/epcl_adamw_decay-all.py); the schedule length is not given:
# 50 epochs of cosine decay as mmdet3d's PointNet++ S3DIS recipe
max_epochs = 50
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs)
]
# S3DIS has no validation split: Area 5 is the test set, evaluated every 5 epochs. The
# project's model-selection rule (README): the last epoch's figure is the headline; the
# best epoch's is logged beside it (model_selection.json) and its checkpoint kept,
# labelled as selected on the reported split.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2,
                                     save_best='miou', rule='greater'))
custom_hooks = [dict(type='EPCLModelSelectionHook', key='miou', rule='greater')]
# --auto-scale-lr: the paper's lr 3e-4 taken for a total batch of 8 blocks (one GPU x 8);
# mmengine multiplies it by (GPUs x batch_size) / 8
auto_scale_lr = dict(enable=False, base_batch_size=8)
