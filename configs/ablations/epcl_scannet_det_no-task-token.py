# Ablation (paper table 6, "w/o task token", AP50 41.6 vs 43.0): no task tokens.
_base_ = ['../epcl_scannet_det.py']
model = dict(backbone=dict(task_token=dict(num_tokens=0)))
