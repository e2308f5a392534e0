"""Predict on your own point files: boxes (detector) or per-point labels (segmentor).

    python tools/infer.py CONFIG CHECKPOINT POINTS [POINTS ...] [--out-dir DIR] [--seed S]
        [--score-thr T] [--classes "chair, plant"] [--device cpu|cuda:0] [--cfg-options k=v ...]

The implementation is ``epcl_mmdet3d.tools.infer`` (``epcl-infer`` once the package is
installed); see its help for the file kinds and every flag.
"""
from epcl_mmdet3d.tools.infer import main, output_names, parse_args  # noqa: F401

if __name__ == '__main__':
    main()
