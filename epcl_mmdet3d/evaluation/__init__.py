"""Evaluation."""
from .metrics import EPCLClsMetric, EPCLIndoorMetric

__all__ = ['EPCLClsMetric', 'EPCLIndoorMetric']
