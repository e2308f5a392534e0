# 3DETR-m on SUN RGB-D v1: the masked encoder (scripts/sunrgbd_masked_ep1080.sh), everything
# else as 3detr_sunrgbd_det.py.
_base_ = ['./3detr_sunrgbd_det.py']

model = dict(
    backbone=dict(
        # the SUN RGB-D masked script keeps --enc_dropout 0.1 (ScanNet's uses 0.3)
        masking_radii=(0.16, 0.64, 1.44),  # metres; see 3detr-m_scannet_det.py
        interim_sa=dict(type='PointSAModule', num_point=1024, radius=0.4, num_sample=32,
                        mlp_channels=[256, 256, 256, 256], normalize_xyz=True)),
    bbox_head=dict(
        proj_hidden_layers=1,  # one hidden layer after the masked encoder, as 3DETR
        criterion=dict(loss_weights=dict(loss_cls=0.8))))  # --loss_sem_cls_weight 0.8
