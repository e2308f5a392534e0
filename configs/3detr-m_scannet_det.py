# 3DETR-m on ScanNet v2: 3DETR with its masked encoder (--enc_type masked,
# scripts/scannet_masked_ep1080.sh), everything else as 3detr_scannet_det.py.
_base_ = ['./3detr_scannet_det.py']

model = dict(
    backbone=dict(
        dropout=0.3,  # the masked ScanNet script's --enc_dropout 0.3
        # attention only between centres closer than these radii (metres), one per
        # layer: 3DETR's code squares 0.4 / 0.8 / 1.2 and compares the squares with
        # plain distances, so its balls have radii 0.16 / 0.64 / 1.44
        masking_radii=(0.16, 0.64, 1.44),
        # after the first layer: 1024 FPS centres (preenc_npoints // 2), radius 0.4 m,
        # 32 samples, MLP 256 (+3 xyz) -> 256 -> 256 -> 256
        interim_sa=dict(type='PointSAModule', num_point=1024, radius=0.4, num_sample=32,
                        mlp_channels=[256, 256, 256, 256], normalize_xyz=True)),
    # 3DETR: the encoder-to-decoder projection has one hidden layer after the masked
    # encoder (two after the plain one)
    bbox_head=dict(proj_hidden_layers=1))
