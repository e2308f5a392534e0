"""Headless pictures of 3D detections: boxes over a point cloud, top view and 3D view."""
from typing import Optional, Sequence, Tuple

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .agg_figure import agg_figure

# The 12 edges of a box, as index pairs into its 8 corners ordered by (x, y, z) bits.
_EDGES = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7),
          (0, 4), (1, 5), (2, 6), (3, 7)]


def _corners(box: np.ndarray) -> np.ndarray:
    """(8, 3) corners of an axis-aligned box given as (cx, cy, cz, dx, dy, dz)."""
    bits = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)])
    return box[:3] + (bits - 0.5) * box[3:6]


# predicted boxes drawn when neither a score threshold nor a count is given
TOP_BOXES = 10


def select_boxes(scores: np.ndarray, score_thr: Optional[float] = None,
                 max_boxes: Optional[int] = None) -> Tuple[np.ndarray, str]:
    """Which predictions a picture draws, best first, and a phrase saying which.

    Args:
        scores: (P,) prediction scores.
        score_thr: keep those scoring at least this (None: no threshold).
        max_boxes: keep at most this many (None: all above ``score_thr``, or the
            :data:`TOP_BOXES` best when ``score_thr`` is None too).

    Returns:
        (K,) indices into ``scores``, highest first; e.g. 'the 10 best of 64'.
    """
    if score_thr is None and max_boxes is None:
        max_boxes = TOP_BOXES
    keep = np.arange(len(scores)) if score_thr is None else np.flatnonzero(scores >= score_thr)
    keep = keep[np.argsort(-scores[keep], kind='stable')][:max_boxes]
    rule = f'score >= {score_thr:g}' if score_thr is not None else ''
    if max_boxes is not None and len(keep) == max_boxes:
        rule = f'the {max_boxes} best' + (f' with {rule}' if rule else '')
    return keep, f'{len(keep)} of {len(scores)}' + (f', {rule}' if rule else '')


def render_det_scene(points: np.ndarray, out_file: str, *args, **kwargs) -> str:
    """Write :func:`det_scene_figure` (same arguments after ``out_file``) as a PNG.

    Returns:
        ``out_file``.
    """
    det_scene_figure(points, *args, **kwargs).savefig(out_file, dpi=110)
    return out_file


def det_scene_figure(points: np.ndarray,
                     pred_boxes: Optional[np.ndarray] = None,
                     pred_labels: Optional[np.ndarray] = None,
                     pred_scores: Optional[np.ndarray] = None,
                     gt_boxes: Optional[np.ndarray] = None,
                     gt_labels: Optional[np.ndarray] = None,
                     class_names: Sequence[str] = (), score_thr: Optional[float] = None,
                     max_boxes: Optional[int] = None, title: str = '',
                     max_points: int = 20000) -> Figure:
    """Draw a scene with predicted boxes (solid, coloured by class, labelled with class
    and score) and true boxes (dashed, white, labelled with class): a top view and a
    3D view side by side. The panel titles say what is drawn.

    Args:
        points: (N, 3 + C) points; colours are taken from channels 3:6 when they look
            like RGB (0..255), otherwise points are shaded by height.
        pred_boxes: (P, 6+) predicted boxes, gravity centre + size (+ yaw, ignored).
        pred_labels: (P,) class indices.
        pred_scores: (P,) scores.
        gt_boxes: (G, 6+) true boxes, gravity centre + size.
        gt_labels: (G,) class indices.
        class_names: names of the class indices.
        score_thr: draw the predictions scoring at least this.
        max_boxes: draw at most this many predictions, the highest-scoring ones. With
            neither, the :data:`TOP_BOXES` best are drawn.
        title: figure title.
        max_points: points drawn at most (a random subset beyond).

    Returns:
        The figure (on its own Agg canvas).
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f'points must be (N, 3 + C), got {points.shape}')
    num_points = len(points)
    if len(points) > max_points:
        points = points[np.random.default_rng(0).choice(len(points), max_points, replace=False)]
    xyz = points[:, :3]
    if points.shape[1] >= 6 and points[:, 3:6].max() > 1.0:
        colors = np.clip(points[:, 3:6] / 255.0, 0, 1)
    else:
        colors = colormaps['viridis']((xyz[:, 2] - xyz[:, 2].min()) / (np.ptp(xyz[:, 2]) + 1e-6))
    has_pred, has_gt = pred_boxes is not None, gt_boxes is not None
    pred_boxes = np.zeros((0, 6)) if pred_boxes is None else np.asarray(pred_boxes)
    gt_boxes = np.zeros((0, 6)) if gt_boxes is None else np.asarray(gt_boxes)
    drawn = f'{len(pred_boxes)}'
    if pred_scores is not None:
        pred_scores = np.asarray(pred_scores)
        keep, drawn = select_boxes(pred_scores, score_thr, max_boxes)
        pred_boxes, pred_scores = pred_boxes[keep], pred_scores[keep]
        pred_labels = None if pred_labels is None else np.asarray(pred_labels)[keep]
    palette = colormaps['tab20'](np.linspace(0, 1, 20))

    def name(labels, i):
        if labels is None:
            return ''
        lab = int(labels[i])
        return class_names[lab] if 0 <= lab < len(class_names) else str(lab)

    def pred_text(i):
        score = '' if pred_scores is None else f' {pred_scores[i]:.2f}'
        return (name(pred_labels, i) + score).strip()

    def pred_colour(i):
        return palette[int(pred_labels[i]) % 20] if pred_labels is not None else 'red'

    fig = agg_figure((14, 6.5))
    ax2d = fig.add_subplot(1, 2, 1)
    ax2d.set_facecolor('0.15')  # dark ground: pale walls and floors stay visible
    ax2d.scatter(xyz[:, 0], xyz[:, 1], c=colors, s=2.0, linewidths=0)
    for i, box in enumerate(gt_boxes):
        ax2d.add_patch(Rectangle(box[:2] - box[3:5] / 2, box[3], box[4], fill=False,
                                 ec='white', ls='--', lw=1.5))
        ax2d.text(box[0] - box[3] / 2, box[1] + box[4] / 2, name(gt_labels, i),
                  color='white', fontsize=7, ha='left', va='bottom')
    for i, box in enumerate(pred_boxes):
        ax2d.add_patch(Rectangle(box[:2] - box[3:5] / 2, box[3], box[4], fill=False,
                                 ec=pred_colour(i), lw=1.5))
        ax2d.text(box[0], box[1], pred_text(i), color=pred_colour(i), fontsize=7,
                  ha='center', va='center')
    shown = []
    if has_pred:
        shown.append(f'predicted boxes solid, class + score ({drawn})')
    if has_gt:
        shown.append(f'ground truth dashed white, class ({len(gt_boxes)})')
    ax2d.set_title('top view: ' + ('; '.join(shown) if shown else 'points only, no boxes'),
                   fontsize=9)
    ax2d.set_aspect('equal')
    ax2d.set_xlabel('x (m)')
    ax2d.set_ylabel('y (m)')

    ax3d = fig.add_subplot(1, 2, 2, projection='3d')
    ax3d.set_facecolor('0.15')
    for axis in (ax3d.xaxis, ax3d.yaxis, ax3d.zaxis):
        axis.set_pane_color((0.15, 0.15, 0.15, 1.0))
    ax3d.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2], c=colors, s=1.0, linewidths=0)
    for i, box in enumerate(gt_boxes):
        c = _corners(box[:6])
        for a, b in _EDGES:
            ax3d.plot(*zip(c[a], c[b]), color='white', lw=1.0, ls='--')
    for i, box in enumerate(pred_boxes):
        c = _corners(box[:6])
        for a, b in _EDGES:
            ax3d.plot(*zip(c[a], c[b]), color=pred_colour(i), lw=1.0)
    thinned = f', {len(points):,} drawn' if len(points) < num_points else ''
    ax3d.set_title(f'3D view ({num_points:,} points{thinned})', fontsize=9)
    span = np.ptp(xyz, axis=0)
    ax3d.set_box_aspect(tuple(np.maximum(span, 1e-3)))
    ax3d.view_init(elev=35, azim=-60)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
