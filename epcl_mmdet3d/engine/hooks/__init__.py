"""Hooks."""
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_model_selection_hook import EPCLModelSelectionHook

__all__ = ['EPCLClassNamesHook', 'EPCLModelSelectionHook']
