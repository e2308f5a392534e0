"""Headless pictures: detection boxes and per-point segmentation labels over point clouds."""
from .det_render import render_det_scene
from .det_scene import full_scene_points, load_aligned_scene_points, predict_det_scene
from .sample_render import render_data_sample
from .seg_render import render_dataset_predictions, render_seg_comparison

__all__ = [
    'full_scene_points', 'load_aligned_scene_points', 'predict_det_scene', 'render_data_sample',
    'render_dataset_predictions', 'render_det_scene', 'render_seg_comparison'
]
