# Ablation (paper table 6, "w/o CLIP frozen", AP50 40.7 vs 43.0): the CLIP transformer
# is trained with everything else (same optimiser and schedule as the frozen run).
_base_ = ['../epcl_scannet_det.py']
model = dict(backbone=dict(clip=dict(frozen=False)))
