"""Hooks."""
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_frozen_weights_check_hook import EPCLFrozenWeightsCheckHook
from .epcl_visualization_hook import EPCLVisualizationHook

__all__ = ['EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook', 'EPCLVisualizationHook']
