from .seg_render import render_dataset_predictions, render_seg_comparison

__all__ = ['render_dataset_predictions', 'render_seg_comparison']
