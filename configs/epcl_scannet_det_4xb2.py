# epcl_scannet_det.py on 4 GPUs, exactly equivalent to its reference recipe: 3DETR's, ONE GPU x
# 8 scenes per step. Launch: bash tools/dist_train.sh configs/epcl_scannet_det_4xb2.py 4
# - the total batch stays 8 (4 x 2), so the lr, the warm-up and the number of steps are
#   the reference's; for 2 GPUs set train_dataloader.batch_size=4 (8 GPUs: 1), keeping
#   GPUs x batch_size = 8;
# - BatchNorm statistics over all 8 scenes (SyncBN), as 3DETR's multi-GPU run
#   (convert_sync_batchnorm on the whole model; CLIP itself has LayerNorms only). torch's
#   SyncBatchNorm needs CUDA: on CPU processes (gloo) drop it with --cfg-options sync_bn=None;
# - the box-count normaliser of the set losses is the mean over the GPUs of their counts
#   (EPCLSetCriterion, always under DDP), as 3DETR's criterion: DDP's average of the
#   gradients then equals one GPU's on the 8 scenes for the box losses. The class CE is
#   each GPU's weighted mean, averaged, as in 3DETR.
# Do NOT add --auto-scale-lr to make a bigger batch "equivalent": it only multiplies the
# lr by (GPUs x batch_size) / 8; the epochs stay, so the number of steps drops by the same
# factor, and neither 3DETR nor the paper ran that recipe.
_base_ = ['./epcl_scannet_det.py']

num_gpus = 4
train_dataloader = dict(batch_size=8 // num_gpus)  # per GPU; total 8
sync_bn = 'torch'
auto_scale_lr = dict(enable=False, base_batch_size=8)  # = num_gpus x batch_size: factor 1
