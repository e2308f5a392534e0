"""Classifiers."""
from .epcl_classifier import EPCLClassifier

__all__ = ['EPCLClassifier']
