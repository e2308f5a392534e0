"""Train an EPCL model (or any mmdet3d model) from a config: Config -> Runner.

    python tools/train.py configs/epcl_scannet_det.py [--work-dir DIR] [--amp]
        [--resume [CKPT]] [--cfg-options k=v ...] [--launcher pytorch]

The implementation is ``epcl_mmdet3d.tools.train`` (``epcl-train`` once the package is
installed); see its help for every flag.
"""
from epcl_mmdet3d.tools.train import build_cfg, main, parse_args  # noqa: F401

if __name__ == '__main__':
    main()
