"""Hooks."""
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_frozen_weights_check_hook import EPCLFrozenWeightsCheckHook

__all__ = ['EPCLClassNamesHook', 'EPCLFrozenWeightsCheckHook']
