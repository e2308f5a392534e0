"""Opt-in: importing this module gives mmcv's CUDA-only point ops a CPU branch.

mmdet3d's point-based models (PointNet++ backbones, VoteNet / GroupFree3D / PointNet2
heads) call mmcv ops that exist for CUDA only. A config that wants them on a CPU names
this module next to the plugin::

    custom_imports = dict(imports=['epcl_mmdet3d', 'epcl_mmdet3d.ops.enable_mmcv_cpu_fallback'],
                          allow_failed_imports=False)

(the configs in ``configs/mmdet3d_models/`` do). Importing ``epcl_mmdet3d`` alone leaves
mmcv untouched. CUDA tensors keep mmcv's kernels either way; see
:func:`epcl_mmdet3d.ops.mmcv_cpu_fallback.install_mmcv_cpu_fallback`.
"""
from .mmcv_cpu_fallback import install_mmcv_cpu_fallback

install_mmcv_cpu_fallback()
