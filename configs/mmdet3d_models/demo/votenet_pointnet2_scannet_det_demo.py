# The baseline of the demo: mmdet3d's own VoteNet (its PointNet++ backbone) on the
# synthetic ScanNet-format rooms, CPU-sized. Write the rooms first:
#   python tools/synthetic_data/create_synthetic_scannet.py data/demo_scannet_det
# votenet_epcl_scannet_det_demo.py is this config with the EPCL backbone.
_base_ = ['mmdet3d::votenet/votenet_8xb8_scannet-3d.py']
# the plugin, and (opt-in) a CPU branch for mmcv's CUDA-only point ops that mmdet3d's
# PointNet++ layers and heads call; CUDA keeps mmcv's kernels; info files (.pkl) read
# with a data-only unpickler (a crafted file cannot run code)
custom_imports = dict(
    imports=['epcl_mmdet3d', 'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback',
             'epcl_mmdet3d.datasets.safe_info_files'],
    allow_failed_imports=False)

data_root = 'data/demo_scannet_det/'
# the classes the synthetic generator places (a subset of ScanNet's 18)
class_names = ('cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf')
metainfo = dict(classes=class_names)
num_points = 2048  # points per room fed to the model (the files hold 10000; base 40000)

model = dict(
    # CPU-sized: an eighth of the base's points per level; 256 seeds (base 1024)
    backbone=dict(num_points=(512, 256, 128, 64)),
    bbox_head=dict(
        num_classes=len(class_names),
        bbox_coder=dict(
            num_sizes=len(class_names),
            # the base's ScanNet mean sizes of these classes
            mean_sizes=[[0.76966727, 0.8116021, 0.92573744],
                        [1.876858, 1.8425595, 1.1931566],
                        [0.61328, 0.6148609, 0.7182701],
                        [1.3955007, 1.5121545, 0.83443564],
                        [0.97949594, 1.0675149, 0.6329687],
                        [0.83221924, 1.0490936, 1.6875663]])))

# the base's pipelines with fewer points, and the semantic labels of the subset
train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=True,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_mask_3d=True, with_seg_3d=True),
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='PointSegClassMapping'),
    dict(type='EPCLSemanticClassSubset', classes=class_names),
    dict(type='PointSample', num_points=num_points),
    dict(type='RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5,
         flip_ratio_bev_vertical=0.5),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.087266, 0.087266],
         scale_ratio_range=[1.0, 1.0], shift_height=True),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d',
                                       'pts_semantic_mask', 'pts_instance_mask'])
]
test_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=True,
         load_dim=6, use_dim=[0, 1, 2]),
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='PointSample', num_points=num_points),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(times=1, dataset=dict(data_root=data_root, metainfo=metainfo,
                                       pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

# the base's AdamW (lr 0.008) and step decay, shortened to 48 steps of 4 rooms
max_iters = 48
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
                        milestones=[32, 44], gamma=0.1)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=8),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
