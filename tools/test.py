"""Evaluate a checkpoint with the config's test loop and metrics: Config -> Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--show-dir DIR] [--show] [--task lidar_det|lidar_seg] [--out FILE.pkl] ...

The implementation is ``epcl_mmdet3d.tools.test`` (``epcl-test`` once the package is
installed); see its help for every flag.
"""
from epcl_mmdet3d.tools.test import build_cfg, main, parse_args  # noqa: F401

if __name__ == '__main__':
    main()
