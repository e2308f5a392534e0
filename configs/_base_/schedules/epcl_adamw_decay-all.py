# The paper's AdamW (lr 3e-4, weight decay 0.04) with decay on every trainable parameter.
# The paper gives the rate and ratio only; the authors' released detection and segmentation
# code (detection/tools/train_utils/optimization/__init__.py, indoor_segmentation/model/
# net_epcl.py: AdamW over all parameters) and 3DETR (one parameter group) decay everything,
# so the detection and segmentation configs follow them. EPCLOptimWrapperConstructor's
# default exemptions (biases, norms, 1-D and 0-d tensors, task-token embedding, positional
# MLP, query positions) are switched off here; the classification configs keep them, close
# to the authors' classification code (it exempts 1-D tensors, biases and token parameters).
_base_ = ['./epcl_adamw.py']

optim_wrapper = dict(
    paramwise_cfg=dict(
        bias_decay_mult=1.0, norm_decay_mult=1.0, flat_decay_mult=1.0,
        custom_keys={
            'embedding': dict(decay_mult=1.0),
            'pos_embed': dict(decay_mult=1.0),
            'cls_token': dict(decay_mult=1.0),
            'query_pos': dict(decay_mult=1.0)
        }))
