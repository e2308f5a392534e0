"""Hooks of the method: the frozen-weights check, class names, model selection, pictures."""
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_frozen_weights_check_hook import EPCLFrozenWeightsCheckHook
from .epcl_model_selection_hook import EPCLModelSelectionHook
from .epcl_visualization_hook import EPCLVisualizationHook

__all__ = [
    'EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook', 'EPCLModelSelectionHook',
    'EPCLVisualizationHook'
]
