# The B13/N4 protocol (epcl_scannet_det_b13n4.py) at the size of the CPU demo: the
# synthetic ScanNet-format rooms place 6 of ScanNet's classes, and PLA's split restricted
# to them gives 4 base classes (trained) and 2 novel ones (sofa, bookshelf: PLA novel).
# Novel boxes are labelled -1 in training and given no loss (ignored, not "no object");
# the test evaluates all 6 classes (this config) or the novel 2, with the same checkpoint:
#   python tools/test.py THIS_CONFIG CKPT \
#       --cfg-options "test_dataloader.dataset.metainfo.classes=[sofa,bookshelf]"
# With the random tiny CLIP of the demo, novel-class AP means nothing (its text tower
# knows no words): this config runs the protocol's code path, it does not measure
# transfer (docs/open_vocabulary.md).
_base_ = ['./epcl_scannet_det_demo_text.py']

base_classes = ('cabinet', 'bed', 'chair', 'table')
novel_classes = ('sofa', 'bookshelf')
all_classes = ('cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf')  # the demo's

model = dict(bbox_head=dict(
    num_classes=len(base_classes),
    criterion=dict(type='EPCLSetCriterion', ignored_boxes='mask')))
train_dataloader = dict(dataset=dict(dataset=dict(metainfo=dict(classes=base_classes))))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=all_classes)))
test_dataloader = dict(dataset=dict(metainfo=dict(classes=all_classes)))
