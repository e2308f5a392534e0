"""Headless pictures of 3D detections: boxes over a point cloud, top view and 3D view."""
from typing import Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Rectangle

from .agg_figure import agg_figure

# The 12 edges of a box, as index pairs into its 8 corners ordered by (x, y, z) bits.
_EDGES = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7),
          (0, 4), (1, 5), (2, 6), (3, 7)]


def _corners(box: np.ndarray) -> np.ndarray:
    """(8, 3) corners of an axis-aligned box given as (cx, cy, cz, dx, dy, dz)."""
    bits = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)])
    return box[:3] + (bits - 0.5) * box[3:6]


def render_det_scene(points: np.ndarray, out_file: str,
                     pred_boxes: Optional[np.ndarray] = None,
                     pred_labels: Optional[np.ndarray] = None,
                     pred_scores: Optional[np.ndarray] = None,
                     gt_boxes: Optional[np.ndarray] = None,
                     gt_labels: Optional[np.ndarray] = None,
                     class_names: Sequence[str] = (), score_thr: float = 0.3,
                     max_boxes: Optional[int] = None, title: str = '',
                     max_points: int = 20000) -> str:
    """Draw a scene with predicted (solid, coloured by class) and true (dashed, white)
    boxes: a top view and a 3D view side by side.

    Args:
        points: (N, 3 + C) points; colours are taken from channels 3:6 when they look
            like RGB (0..255), otherwise points are shaded by height.
        out_file: PNG path to write.
        pred_boxes: (P, 6+) predicted boxes, gravity centre + size (+ yaw, ignored).
        pred_labels: (P,) class indices.
        pred_scores: (P,) scores; boxes below ``score_thr`` are not drawn.
        gt_boxes: (G, 6+) true boxes, gravity centre + size.
        gt_labels: (G,) class indices.
        class_names: names for the legend.
        score_thr: drawing threshold on ``pred_scores``.
        max_boxes: draw at most this many predictions, the highest-scoring ones.
        title: figure title.
        max_points: points drawn at most (a random subset beyond).

    Returns:
        ``out_file``.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f'points must be (N, 3 + C), got {points.shape}')
    if len(points) > max_points:
        points = points[np.random.default_rng(0).choice(len(points), max_points, replace=False)]
    xyz = points[:, :3]
    if points.shape[1] >= 6 and points[:, 3:6].max() > 1.0:
        colors = np.clip(points[:, 3:6] / 255.0, 0, 1)
    else:
        colors = colormaps['viridis']((xyz[:, 2] - xyz[:, 2].min()) / (np.ptp(xyz[:, 2]) + 1e-6))
    pred_boxes = np.zeros((0, 6)) if pred_boxes is None else np.asarray(pred_boxes)
    gt_boxes = np.zeros((0, 6)) if gt_boxes is None else np.asarray(gt_boxes)
    if pred_scores is not None:
        pred_scores = np.asarray(pred_scores)
        keep = np.flatnonzero(pred_scores >= score_thr)
        keep = keep[np.argsort(-pred_scores[keep], kind='stable')][:max_boxes]
        pred_boxes = pred_boxes[keep]
        pred_labels = None if pred_labels is None else np.asarray(pred_labels)[keep]
    palette = colormaps['tab20'](np.linspace(0, 1, 20))

    def name(labels, i):
        if labels is None:
            return ''
        lab = int(labels[i])
        return class_names[lab] if 0 <= lab < len(class_names) else str(lab)

    fig = agg_figure((14, 6.5))
    ax2d = fig.add_subplot(1, 2, 1)
    ax2d.set_facecolor('0.15')  # dark ground: pale walls and floors stay visible
    ax2d.scatter(xyz[:, 0], xyz[:, 1], c=colors, s=2.0, linewidths=0)
    for i, box in enumerate(gt_boxes):
        ax2d.add_patch(Rectangle(box[:2] - box[3:5] / 2, box[3], box[4], fill=False,
                                 ec='white', ls='--', lw=1.5))
    for i, box in enumerate(pred_boxes):
        col = palette[int(pred_labels[i]) % 20] if pred_labels is not None else 'red'
        ax2d.add_patch(Rectangle(box[:2] - box[3:5] / 2, box[3], box[4], fill=False,
                                 ec=col, lw=1.5))
        ax2d.text(box[0], box[1], name(pred_labels, i), color=col, fontsize=7,
                  ha='center', va='center')
    ax2d.set_aspect('equal')
    ax2d.set_title('top view (dashed white: ground truth)')
    ax2d.set_xlabel('x (m)')
    ax2d.set_ylabel('y (m)')

    ax3d = fig.add_subplot(1, 2, 2, projection='3d')
    ax3d.set_facecolor('0.15')
    for axis in (ax3d.xaxis, ax3d.yaxis, ax3d.zaxis):
        axis.set_pane_color((0.15, 0.15, 0.15, 1.0))
    ax3d.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2], c=colors, s=1.0, linewidths=0)
    for boxes, labels, dashed in ((gt_boxes, gt_labels, True), (pred_boxes, pred_labels, False)):
        for i, box in enumerate(boxes):
            c = _corners(box[:6])
            col = 'white' if dashed else (
                palette[int(labels[i]) % 20] if labels is not None else 'red')
            for a, b in _EDGES:
                ax3d.plot(*zip(c[a], c[b]), color=col, lw=1.0, ls='--' if dashed else '-')
    ax3d.set_title('3D view')
    span = np.ptp(xyz, axis=0)
    ax3d.set_box_aspect(tuple(np.maximum(span, 1e-3)))
    ax3d.view_init(elev=35, azim=-60)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    return out_file
