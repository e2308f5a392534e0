# Open-vocabulary S3DIS segmentation (Area 5), base / novel protocol: train on 8 base
# classes, the points of the 4 novel ones unlabelled (ignore_index, no loss); evaluate
# all 12 protocol classes (this config) or the novel ones (epcl_s3dis_seg_b8n4_novel.py)
# with SegMetric, with the same checkpoint.
#
# The split is PLA's S3DIS B8/N4 (Ding et al., "PLA: Language-driven open-vocabulary 3D
# scene understanding", CVPR 2023), read in the authors' released configs
# (github.com/CVMI-Lab/PLA, commit 0e3e582,
# tools/cfgs/s3dis_models/spconv_clip_base8_caption_adamw.yaml: base_class_idx
# [0, 1, 2, 3, 4, 6, 8, 11], novel_class_idx [5, 7, 9, 10], ignore_class_idx [12] over
# CLASS_NAMES of spconv_clip_adamw.yaml, the 13 S3DIS classes in mmdet3d's order):
# clutter is in neither list and ignored throughout. PLA's other S3DIS split, B6/N6, is in
# its spconv_clip_base6_caption_adamw.yaml; not made into a config here.
#
# Point labels: mmdet3d's S3DISSegDataset keeps its 13-class labels whatever
# metainfo.classes says (its PointSegClassMapping maps all 13), so EPCLSemanticClassSubset
# re-indexes them onto the list in use and sends every other class to ignore_index (13),
# in training and in the test pipeline (there it also rewrites what SegMetric reads).
# EPCLClassNamesHook names the model from each data set's metainfo classes; the
# open-vocabulary point classifier (EPCLTextEmbeddingClassifier) scores every point
# against the CLIP text embeddings of those names.
_base_ = ['../epcl_s3dis_seg.py']

s3dis_classes = ('ceiling', 'floor', 'wall', 'beam', 'column', 'window', 'door', 'table',
                 'chair', 'sofa', 'bookcase', 'board', 'clutter')
base_classes = ('ceiling', 'floor', 'wall', 'beam', 'column', 'door', 'chair', 'board')
novel_classes = ('window', 'table', 'sofa', 'bookcase')
all_classes = ('ceiling', 'floor', 'wall', 'beam', 'column', 'window', 'door', 'table',
               'chair', 'sofa', 'bookcase', 'board')  # S3DIS without clutter
ignore_index = 13  # as the base config: every list's "unlabelled"
num_points = 4096
block_size = 1.0

model = dict(
    backbone=dict(clip=dict(with_text=True)),  # the frozen CLIP text tower names classes
    decode_head=dict(
        num_classes=len(base_classes),  # followed by the names the hook sets
        ignore_index=ignore_index,
        cls_classifier=dict(type='EPCLTextEmbeddingClassifier', projection='linear')))

backend_args = None
train_pipeline = [  # the base config's, with the base-class re-indexing
    dict(type='EPCLLoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         use_color=True, load_dim=6, use_dim=[0, 1, 2, 3, 4, 5],
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False,
         with_mask_3d=False, with_seg_3d=True, backend_args=backend_args),
    dict(type='PointSegClassMapping'),
    dict(type='EPCLSemanticClassSubset', classes=base_classes, all_classes=s3dis_classes,
         ignore_index=ignore_index),
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


# mmdet3d's S3DIS test pipeline (no PointSegClassMapping: its files hold the 13 labels),
# with the re-indexing onto the list evaluated
test_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='DEPTH', shift_height=False,
         use_color=True, load_dim=6, use_dim=[0, 1, 2, 3, 4, 5],
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False,
         with_mask_3d=False, with_seg_3d=True, backend_args=backend_args),
    dict(type='EPCLSemanticClassSubset', classes=all_classes, all_classes=s3dis_classes,
         ignore_index=ignore_index),
    dict(type='NormalizePointsColor', color_mean=None),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(dataset=dict(
    metainfo=dict(classes=base_classes), ignore_index=ignore_index,
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    metainfo=dict(classes=all_classes), ignore_index=ignore_index,
    pipeline=test_pipeline))
test_dataloader = val_dataloader

custom_hooks = [dict(type='EPCLClassNamesHook'),
                dict(type='EPCLModelSelectionHook', key='miou', rule='greater')]
