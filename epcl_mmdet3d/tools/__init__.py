"""The command-line tools shipped in the wheel (``epcl-train``, ``epcl-test``,
``epcl-infer``; or ``python -m epcl_mmdet3d.tools.train`` ...). The repository's
``tools/train.py``, ``tools/test.py`` and ``tools/infer.py`` call these same modules.
Nothing is imported here: each tool module is run on its own."""

__all__ = []
