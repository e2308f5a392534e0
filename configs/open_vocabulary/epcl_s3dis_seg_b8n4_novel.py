# Test config of the S3DIS B8/N4 protocol (epcl_s3dis_seg_b8n4.py, where the split and
# its source are given) on the 4 novel classes only: the segmenter, trained on the 8 base
# classes, is asked for the novel names; the points of every other class are ignored.
#   python tools/test.py configs/open_vocabulary/epcl_s3dis_seg_b8n4_novel.py CKPT
_base_ = ['./epcl_s3dis_seg_b8n4.py']

val_dataloader = dict(dataset=dict(
    metainfo=dict(classes={{_base_.novel_classes}}),
    pipeline=[
        dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
             use_color=True, load_dim=6, use_dim=[0, 1, 2, 3, 4, 5]),
        dict(type='LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False,
             with_mask_3d=False, with_seg_3d=True),
        dict(type='EPCLSemanticClassSubset', classes={{_base_.novel_classes}},
             all_classes={{_base_.s3dis_classes}}, ignore_index={{_base_.ignore_index}}),
        dict(type='NormalizePointsColor', color_mean=None),
        dict(type='Pack3DDetInputs', keys=['points'])
    ]))
test_dataloader = val_dataloader
