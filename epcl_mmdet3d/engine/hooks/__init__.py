"""Hooks."""
from .epcl_checkpoint_hook import EPCLCheckpointHook
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_frozen_weights_check_hook import EPCLFrozenWeightsCheckHook
from .epcl_model_selection_hook import EPCLModelSelectionHook
from .epcl_random_state_hook import EPCLRandomStateHook
from .epcl_visualization_hook import EPCLVisualizationHook

__all__ = [
    'EPCLCheckpointHook', 'EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook',
    'EPCLModelSelectionHook', 'EPCLRandomStateHook', 'EPCLVisualizationHook'
]
