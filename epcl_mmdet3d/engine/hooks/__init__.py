"""Hooks."""
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_visualization_hook import EPCLVisualizationHook

__all__ = ['EPCLClassNamesHook', 'EPCLVisualizationHook']
