"""Evaluation metrics."""
from .epcl_cls_metric import EPCLClsMetric
from .epcl_indoor_metric import EPCLIndoorMetric

__all__ = ['EPCLClsMetric', 'EPCLIndoorMetric']
