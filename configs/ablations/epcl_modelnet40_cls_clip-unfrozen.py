# Ablation (paper Tables 4 and 6): fine-tune the whole CLIP image tower too.
# The text tower stays frozen: it only embeds the class names, once, at build.
_base_ = ['../epcl_modelnet40_cls.py']

model = dict(backbone=dict(clip=dict(frozen=False)))
