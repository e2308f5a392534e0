# 3DETR (Misra et al., ICCV 2021), the detector EPCL's detection claim is measured against
# (ScanNet AP50 37.9 vs EPCL's 43.0), on ScanNet v2. This is epcl_scannet_det.py with
# 3DETR's own encoder (EPCL3DETREncoder) in place of EPCL's, so the data pipeline, the
# 3DETR head, parse_predictions, IndoorMetric and the schedule length are the same objects;
# the optimiser is 3DETR's (what the paper compares against). Settings: 3DETR's
# main.py defaults and scripts/scannet_ep1080.sh.
_base_ = ['./epcl_scannet_det.py']

# the plugin, and mmcv's point ops (FPS, ball query, grouping of mmdet3d's set
# abstraction) on a CPU as well; CUDA tensors keep mmcv's kernels
custom_imports = dict(
    imports=['epcl_mmdet3d', 'epcl_mmdet3d.datasets.safe_info_files',
             'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,  # no tokenizer, task tokens or CLIP
        type='EPCL3DETREncoder',
        # 3DETR's pre-encoder: 2048 FPS centres, ball radius 0.2 m, 64 samples, MLP
        # 3 -> 64 -> 128 -> 256 on the xyz offsets (normalised by the radius); 0 extra
        # channels (xyz only, as 3DETR's default and the base's use_dim)
        pre_encoder=dict(type='PointSAModule', num_point=2048, radius=0.2, num_sample=64,
                         mlp_channels=[0, 64, 128, 256], normalize_xyz=True),
        num_layers=3,  # --enc_nlayers
        num_heads=4,  # --enc_nhead
        ffn_channels=128,  # --enc_ffn_dim
        dropout=0.1,  # --enc_dropout
        activation='ReLU'),  # --enc_activation
    bbox_head=dict(
        # 3DETR projects its encoder's tokens without a LayerNorm first; the base's
        # in_norm is EPCL's addition for CLIP's raw residual stream
        in_norm=False))

# 3DETR's optimiser (main.py): AdamW lr 5e-4, weight decay 0.1 on every parameter (its
# --filter_biases_wd is off in the released scripts), gradient clipping 0.1 (the base's).
optim_wrapper = dict(
    optimizer=dict(lr=5e-4, weight_decay=0.1),
    paramwise_cfg=dict(bias_decay_mult=1.0, norm_decay_mult=1.0, flat_decay_mult=1.0))
# 3DETR's schedule: 1080 epochs (--max_epoch 1080). The base repeats ScanNet 5x per
# epoch (RepeatDataset times=5), so 216 epochs here are 1080 of 3DETR's; its linear
# warm-up from 1e-6 over 9 epochs is 2 here, then cosine down to --final_lr 1e-6.
max_epochs = 216
warmup_epochs = 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 5e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=warmup_epochs, end=max_epochs,
         T_max=max_epochs - warmup_epochs, eta_min=1e-6, convert_to_iter_based=True),
]
