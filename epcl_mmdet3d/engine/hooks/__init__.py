"""Hooks."""
from .epcl_checkpoint_hook import EPCLCheckpointHook
from .epcl_class_names_hook import EPCLClassNamesHook
from .epcl_random_state_hook import EPCLRandomStateHook

__all__ = ['EPCLCheckpointHook', 'EPCLClassNamesHook', 'EPCLRandomStateHook']
