"""Evaluation."""
from .metrics import EPCLClsMetric

__all__ = ['EPCLClsMetric']
