# epcl_scannet_det.py with colour: the tokenizer reads x, y, z, r, g, b (colour scaled
# to [0, 1] by mmdet3d's NormalizePointsColor). 3DETR and the paper use xyz only.
_base_ = ['./epcl_scannet_det.py']

model = dict(backbone=dict(tokenizer=dict(in_channels=6)))  # xyz + rgb

_load = dict(coord_type='DEPTH', shift_height=False, use_color=True, load_dim=6,
             use_dim=[0, 1, 2, 3, 4, 5])
train_pipeline = [
    dict(type='EPCLLoadPointsFromFile', **_load),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_mask_3d=False, with_seg_3d=False),
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='NormalizePointsColor', color_mean=None),  # rgb / 255
    dict(type='EPCLRandomCuboidCrop', min_points=30000, aspect=0.8, min_crop=0.5,
         max_crop=1.0),
    dict(type='PointSample', num_points={{_base_.num_points}}),
    dict(type='RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5,
         flip_ratio_bev_vertical=0.5),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.087266, 0.087266],  # +-5 deg
         scale_ratio_range=[1.0, 1.0], shift_height=False),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d'])
]
test_pipeline = [
    dict(type='LoadPointsFromFile', **_load),  # by name for mmdet3d's inferencers
    dict(type='GlobalAlignment', rotation_axis=2),
    dict(type='NormalizePointsColor', color_mean=None),
    dict(type='PointSample', num_points={{_base_.num_points}}),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
