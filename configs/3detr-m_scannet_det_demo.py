# The detection demo with 3DETR-m's masked encoder: 3detr_scannet_det_demo.py plus the
# radius masks and the downsampling set abstraction after the first layer (128 -> 64
# centres, as 3DETR's 2048 -> 1024), every radius 3DETR's x 4 (see the base).
_base_ = ['./3detr_scannet_det_demo.py']

radius_scale = 4
model = dict(
    backbone=dict(
        masking_radii=tuple(r * radius_scale for r in (0.16, 0.64, 1.44)),
        interim_sa=dict(type='PointSAModule', num_point=64, radius=0.4 * radius_scale,
                        num_sample=32, mlp_channels=[64, 64, 64, 64], normalize_xyz=True)),
    bbox_head=dict(proj_hidden_layers=1))  # 3DETR-m's projection: one hidden layer
