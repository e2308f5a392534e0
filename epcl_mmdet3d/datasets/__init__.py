"""Data sets and transforms."""
from .epcl_modelnet40_dataset import EPCLModelNet40Dataset
from .transforms import (EPCLNormalizeUnitSphere, EPCLPackClsInputs,
                         EPCLPointSample, EPCLScaleTranslate)

__all__ = [
    'EPCLModelNet40Dataset', 'EPCLNormalizeUnitSphere', 'EPCLPackClsInputs',
    'EPCLPointSample', 'EPCLScaleTranslate'
]
