# Ablation (paper Table 6): no task token. Everything else as the full model.
_base_ = ['../epcl_modelnet40_cls.py']

model = dict(backbone=dict(task_token=dict(num_tokens=0)))  # T = 0: no task tokens
