# 3DETR on SUN RGB-D v1: epcl_sunrgbd_det.py with 3DETR's own encoder (EPCL3DETREncoder)
# and 3DETR's optimiser, so that only the encoder and the optimiser differ from EPCL's.
# Settings: 3DETR's main.py defaults and scripts/sunrgbd_ep1080.sh.
_base_ = ['./epcl_sunrgbd_det.py']

custom_imports = dict(
    imports=['epcl_mmdet3d', 'epcl_mmdet3d.datasets.safe_info_files',
             'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='EPCL3DETREncoder',
        # 3DETR's pre-encoder on both data sets: 2048 centres, radius 0.2 m, 64 samples,
        # MLP 3 -> 64 -> 128 -> 256 (xyz only)
        pre_encoder=dict(type='PointSAModule', num_point=2048, radius=0.2, num_sample=64,
                         mlp_channels=[0, 64, 128, 256], normalize_xyz=True),
        num_layers=3, num_heads=4, ffn_channels=128, dropout=0.1, activation='ReLU'),
    bbox_head=dict(in_norm=False))  # no LayerNorm before 3DETR's projection

# 3DETR's SUN RGB-D optimiser: AdamW lr 7e-4 (the script's --base_lr; 5e-4 is main.py's
# default, used on ScanNet), weight decay 0.1 on every parameter, clipping 0.1 (base).
optim_wrapper = dict(
    optimizer=dict(lr=7e-4, weight_decay=0.1),
    paramwise_cfg=dict(bias_decay_mult=1.0, norm_decay_mult=1.0, flat_decay_mult=1.0))
# 1080 3DETR epochs = 216 here (the base repeats SUN RGB-D 5x per epoch); warm-up from
# 1e-6 over 9 of them (2 here), then cosine down to 1e-6.
max_epochs = 216
warmup_epochs = 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 7e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=warmup_epochs, end=max_epochs,
         T_max=max_epochs - warmup_epochs, eta_min=1e-6, convert_to_iter_based=True),
]
