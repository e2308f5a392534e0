"""Evaluation metrics."""
from .epcl_cls_metric import EPCLClsMetric

__all__ = ['EPCLClsMetric']
