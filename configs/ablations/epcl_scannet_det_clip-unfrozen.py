# Ablation (paper table 6, "w/o CLIP frozen", AP50 40.7 vs 43.0): the CLIP image tower
# trains too. Only the freezing changes against epcl_scannet_det.py:
# - the tower's parameters get their own learning rate, 0.1 x the rest (the paper gives
#   none; 0.1 is the usual rate for fine-tuning a pretrained ViT under a new head);
# - gradient clipping at 0.1 covers exactly the parameters it covers in the frozen run
#   (tokenizer, task tokens, head): the tower's groups are left out of the clipped norm,
#   so its 86M gradients do not shrink the head's.
# Both use standard mmengine paramwise_cfg custom_keys (their entries land in the param
# groups); EPCLSelectiveGradClipOptimWrapper skips the groups marked skip_grad_clip.
_base_ = ['../epcl_scannet_det.py']
model = dict(backbone=dict(clip=dict(frozen=False)))
optim_wrapper = dict(
    type='EPCLSelectiveGradClipOptimWrapper',
    paramwise_cfg=dict(custom_keys={
        'backbone.clip': dict(lr_mult=0.1, skip_grad_clip=True)}))
