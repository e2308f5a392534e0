# Open-vocabulary ScanNet detection, base / novel protocol: train on 13 base classes,
# evaluate the detector on all 17 protocol classes (this config) or on the 4 novel ones
# (epcl_scannet_det_b13n4_novel.py), with the same checkpoint, through EPCLIndoorMetric
# (mmdet3d's IndoorMetric, AP@0.25 / 0.5, per class and mean).
#
# The split is PLA's ScanNet instance-segmentation partition B13/N4 (Ding et al.,
# "PLA: Language-driven open-vocabulary 3D scene understanding", CVPR 2023), read in the
# authors' released configs (github.com/CVMI-Lab/PLA, commit 0e3e582,
# tools/cfgs/scannet_models/inst/softgroup_clip_base13_caption_adamw.yaml:
# novel_class_idx [5, 9, 12, 16] over CLASS_NAMES of inst/softgroup_clip_adamw.yaml,
# i.e. sofa, bookshelf, desk, toilet; instance classes 2..18, otherfurniture ignored).
# PLA's 17 instance classes are all among mmdet3d's 18 ScanNet detection classes;
# mmdet3d's 18th, garbagebin, is in neither list (PLA has otherfurniture there): its boxes
# are ignored in training and left out of the evaluation, as novel boxes in training.
#
# Training: the train set's metainfo holds the base classes only, so mmdet3d's
# ScanNetDataset labels novel (and garbagebin) boxes -1 and keeps them (it does not call
# Det3DDataset._remove_dontcare, which only KITTI / Waymo use). The criterion's
# ignored_boxes='mask' matches them on geometry and gives their queries no loss: novel
# objects are unlabelled, not "no object".
# Testing: EPCLClassNamesHook gives the model the test set's metainfo classes, and the
# open-vocabulary class head (EPCLTextEmbeddingClassifier) scores every box against the
# CLIP text embeddings of those names. Evaluating another list needs no retraining:
#   python tools/test.py THIS_CONFIG CKPT                                   # all 17
#   python tools/test.py configs/open_vocabulary/epcl_scannet_det_b13n4_novel.py CKPT
# or any list: --cfg-options "test_dataloader.dataset.metainfo.classes=[sofa,desk]"
_base_ = ['../epcl_scannet_det.py']

base_classes = ('cabinet', 'bed', 'chair', 'table', 'door', 'window', 'picture',
                'counter', 'curtain', 'refrigerator', 'showercurtain', 'sink', 'bathtub')
novel_classes = ('sofa', 'bookshelf', 'desk', 'toilet')
# the 17 protocol classes in mmdet3d's ScanNet order (its 18 without garbagebin)
all_classes = ('cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf',
               'picture', 'counter', 'desk', 'curtain', 'refrigerator', 'showercurtain',
               'toilet', 'sink', 'bathtub')

model = dict(
    backbone=dict(clip=dict(with_text=True)),  # the frozen CLIP text tower names classes
    bbox_head=dict(
        num_classes=len(base_classes),  # followed by the names the hook sets
        # the temperature start that matched the fixed head on the CPU demo (50; CLIP's own
        # 1 / 0.07 trailed it there: docs/open_vocabulary.md); not tuned on ScanNet
        cls_classifier=dict(type='EPCLTextEmbeddingClassifier', projection='linear',
                            logit_scale_init=50.0),
        criterion=dict(type='EPCLSetCriterion', ignored_boxes='mask')))

train_dataloader = dict(dataset=dict(dataset=dict(metainfo=dict(classes=base_classes))))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=all_classes)))
test_dataloader = dict(dataset=dict(metainfo=dict(classes=all_classes)))

custom_hooks = [dict(type='EPCLClassNamesHook'),
                dict(type='EPCLModelSelectionHook', key='mAP_0.50', rule='greater')]
