# mmdet3d's runtime (logging, checkpoints, visualiser, env) plus the plugin's import, so
# that every EPCL config loads `epcl_mmdet3d` (registering its modules) the same way.
_base_ = ['mmdet3d::_base_/default_runtime.py']

custom_imports = dict(imports=['epcl_mmdet3d'], allow_failed_imports=False)
# Crash-safe checkpoints (written aside, then renamed; the last complete one never removed
# first), --resume that falls back to the newest complete checkpoint, and random states
# saved for an exact resume: see EPCLRunner and docs/robustness.md.
runner_type = 'EPCLRunner'
