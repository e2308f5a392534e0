# Quick CPU check of the whole classification path on the synthetic data set
# (12 classes of simple shapes) with the tiny test CLIP (width 64, 2 layers).
#   python tools/synthetic_data/create_synthetic_modelnet40.py data/demo_synthetic_modelnet
#   python tools/train.py configs/epcl_modelnet40_cls_demo.py
# Not a benchmark: random tiny CLIP weights unless `pretrained` names a file.
_base_ = ['./epcl_modelnet40_cls.py']

data_root = 'data/demo_synthetic_modelnet/'
class_names = [
    'sphere', 'cube', 'cylinder', 'cone', 'torus', 'pyramid', 'table', 'cross',
    'board', 'bowl', 'spring', 'dumbbell'
]
num_points = 512  # the synthetic shapes are simple; halves the tokenizer's work

model = dict(
    num_classes=len(class_names),
    class_names=class_names,
    backbone=dict(
        tokenizer=dict(num_tokens=32, num_neighbors=16),  # 512 points / 32 centres
        task_token=dict(num_tokens=8),
        clip=dict(arch='EPCL-ViT-Tiny', pretrained=None, embed_dropout=0.1)),
    head=dict(hidden_channels=(128, 128), dropout=0.2))

train_pipeline = [
    dict(type='EPCLPointSample', num_points=num_points, method='random'),
    dict(type='EPCLNormalizeUnitSphere'),
    dict(type='EPCLScaleTranslate', scale_range=(2 / 3, 3 / 2), translate=0.2),
    dict(type='EPCLPackClsInputs')
]
test_pipeline = [
    # text files, no FPS-ordered cache: deterministic FPS instead of 'first'
    dict(type='EPCLPointSample', num_points=num_points, method='fps'),
    dict(type='EPCLNormalizeUnitSphere'),
    dict(type='EPCLPackClsInputs')
]
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, cache_file=None, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, cache_file=None, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # short schedule: a larger step
max_epochs = 8
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)  # a reproducible quick run
