"""EPCL for mmdetection3d: a frozen CLIP transformer as a point cloud backbone."""
__version__ = '0.1.0'

from . import datasets, models  # noqa: F401,E402  (registers the components)
