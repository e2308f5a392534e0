# mmdet3d's runtime (logging, checkpoints, visualiser, env) plus the plugin's import, so
# that every EPCL config loads `epcl_mmdet3d` (registering its modules) the same way.
_base_ = ['mmdet3d::_base_/default_runtime.py']

# The second import makes mmengine read info files (.pkl) with an unpickler that builds
# only data (dicts, lists, numbers, strings, numpy arrays): a crafted file cannot run code.
custom_imports = dict(imports=['epcl_mmdet3d', 'epcl_mmdet3d.datasets.safe_info_files'],
                      allow_failed_imports=False)

# Fingerprint the frozen CLIP weights at train start, check them at every checkpoint save
# and at the end (a change is an error naming the tensor). In default_hooks, not
# custom_hooks, so that task configs adding hooks of their own keep it.
# A NaN / Inf loss or weight stops training at that iteration, before any checkpoint holds
# it; a second training run in a work dir in use fails at its start.
default_hooks = dict(
    frozen_clip_check=dict(type='EPCLFrozenWeightsCheckHook'),
    non_finite_check=dict(type='EPCLNonFiniteCheckHook'),
    work_dir_lock=dict(type='EPCLWorkDirLockHook'))

# Crash-safe checkpoints (written aside, then renamed; the last complete one never removed
# first), --resume that falls back to the newest complete checkpoint, and random states
# saved for an exact resume: see EPCLRunner and docs/robustness.md.
runner_type = 'EPCLRunner'
