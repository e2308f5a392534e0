# Test config of the B13/N4 protocol (epcl_scannet_det_b13n4.py, where the split and its
# source are given) on the 4 novel classes only: the detector, trained on the 13 base
# classes, is asked for the novel names and EPCLIndoorMetric scores those classes.
#   python tools/test.py configs/open_vocabulary/epcl_scannet_det_b13n4_novel.py CKPT
_base_ = ['./epcl_scannet_det_b13n4.py']

val_dataloader = dict(dataset=dict(metainfo=dict(classes={{_base_.novel_classes}})))
test_dataloader = dict(dataset=dict(metainfo=dict(classes={{_base_.novel_classes}})))
