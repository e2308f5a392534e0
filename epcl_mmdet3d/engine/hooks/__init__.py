"""Hooks."""
from .epcl_class_names_hook import EPCLClassNamesHook

__all__ = ['EPCLClassNamesHook']
