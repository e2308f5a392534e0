"""Render per-point semantic labels (prediction beside ground truth, or either alone) to a PNG."""
from typing import Optional, Sequence

import numpy as np

from .agg_figure import agg_figure


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def render_seg_comparison(xyz,
                          pred,
                          gt,
                          class_names: Sequence[str],
                          palette: Sequence[Sequence[int]],
                          out_file: str,
                          hide_classes: Sequence[str] = ('ceiling', ),
                          ignore_index: Optional[int] = None,
                          max_points: int = 60000,
                          title: Optional[str] = None,
                          seed: int = 0) -> str:
    """Draw predicted and true labels side by side, one colour per class.

    Works headless (matplotlib's Agg backend). Points whose *true* class (the
    predicted one when there is no ground truth) is in ``hide_classes`` are left out
    of both panels, so a room's ceiling does not hide its contents in the oblique view.
    Either ``pred`` or ``gt`` may be None (a user's scan has no ground truth; a data set
    browsed without a model has no prediction): one panel is drawn then.

    Args:
        xyz: (N, 3) point coordinates (array or tensor).
        pred: (N,) predicted class ids, or None.
        gt: (N,) true class ids, or None; ``ignore_index`` entries are drawn grey.
        class_names: name of every class id.
        palette: RGB (0..255) of every class id.
        out_file: PNG path to write.
        hide_classes: class names left out of the drawing (by true label).
        ignore_index: label of unannotated points, if any.
        max_points: at most this many points are drawn (random subset).
        title: figure title; defaults to the point-wise accuracy (with both labels).
        seed: seed of the random subset.

    Returns:
        ``out_file``.
    """
    from matplotlib.patches import Patch

    if pred is None and gt is None:
        raise ValueError('render_seg_comparison needs pred, gt or both; got neither')
    xyz = _as_numpy(xyz)
    pred = None if pred is None else _as_numpy(pred).astype(np.int64)
    gt = None if gt is None else _as_numpy(gt).astype(np.int64)
    if xyz.ndim != 2 or xyz.shape[1] < 3:
        raise ValueError(f'xyz must be (N, 3), got {xyz.shape}')
    lengths = [len(x) for x in (xyz, pred, gt) if x is not None]
    if len(set(lengths)) != 1:
        raise ValueError(f'xyz, pred and gt must have the same length, got '
                         f'{len(xyz)}, {None if pred is None else len(pred)} and '
                         f'{None if gt is None else len(gt)}')
    if len(palette) < len(class_names):
        raise ValueError(f'palette has {len(palette)} colours for '
                         f'{len(class_names)} classes')
    num_classes = len(class_names)
    reference = gt if gt is not None else pred  # (N,) what hiding and "valid" go by
    valid = reference != ignore_index if ignore_index is not None else \
        np.ones_like(reference, bool)
    acc = float((pred[valid] == gt[valid]).mean()) \
        if pred is not None and gt is not None and valid.any() else float('nan')
    hidden = [class_names.index(c) for c in hide_classes if c in class_names]
    keep = ~np.isin(reference, hidden)
    idx = np.flatnonzero(keep)
    if len(idx) > max_points:
        idx = np.random.default_rng(seed).choice(idx, max_points, replace=False)
    colours = np.concatenate(
        [np.asarray(palette[:num_classes], dtype=np.float64) / 255.0,
         [[0.6, 0.6, 0.6]]])  # (num_classes + 1, 3): the last is "ignored"

    def colour_of(labels):
        labels = np.where((labels >= 0) & (labels < num_classes), labels, num_classes)
        return colours[labels]

    panels = [(labels, name) for labels, name in ((pred, 'predicted'), (gt, 'ground truth'))
              if labels is not None]
    fig = agg_figure((6.5 * len(panels), 6))
    for i, (labels, name) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1, projection='3d')
        p = xyz[idx]
        ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=colour_of(labels[idx]), s=1.0,
                   linewidths=0, depthshade=False)
        ax.set_title(name)
        ax.view_init(elev=35, azim=-60)
        span = (p.max(0) - p.min(0)) if len(p) else np.ones(3)
        ax.set_box_aspect(np.maximum(span, 1e-3))
        ax.set_axis_off()
    present = np.unique(np.concatenate([labels[valid] for labels, _ in panels]))
    handles = [Patch(color=colours[c], label=class_names[c]) for c in present
               if 0 <= c < num_classes]
    fig.legend(handles=handles, loc='lower center', ncol=min(7, max(1, len(handles))),
               fontsize=9, frameon=False)
    if title is None:
        title = f'point accuracy {acc:.3f}' if not np.isnan(acc) else ''
    fig.suptitle(title)
    fig.savefig(out_file, dpi=110, bbox_inches='tight')
    return out_file


def render_dataset_predictions(model, dataset, indices: Sequence[int],
                               out_dir: str) -> list:
    """Segment rooms of a dataset with ``model`` and render each to a PNG.

    Args:
        model: a built segmentor (e.g. ``EncoderDecoder3D``), in eval mode,
            with its weights loaded.
        dataset: a built segmentation dataset whose test pipeline packs
            ``points`` and keeps the ground truth in ``eval_ann_info``
            (mmdet3d's ``S3DISSegDataset`` with ``test_mode=True``).
        indices: dataset indices to render.
        out_dir: folder the PNGs go to (created if missing).

    Returns:
        list of (png path, point accuracy, number of points).
    """
    import os
    import os.path as osp

    import torch
    from mmengine.dataset import pseudo_collate

    os.makedirs(out_dir, exist_ok=True)
    meta = dataset.metainfo
    class_names = list(meta['classes'])
    palette = meta.get('palette') or [[(37 * i) % 256, (91 * i) % 256,
                                       (151 * i) % 256] for i in range(len(class_names))]
    ignore_index = meta.get('ignore_index', len(class_names))
    results = []
    for i in indices:
        batch = pseudo_collate([dataset[i]])
        with torch.no_grad():
            sample = model.test_step(batch)[0]
        pred = sample.pred_pts_seg.pts_semantic_mask
        gt = sample.eval_ann_info['pts_semantic_mask']
        xyz = batch['inputs']['points'][0][:, :3]
        name = osp.splitext(osp.basename(sample.lidar_path))[0] \
            if 'lidar_path' in sample else f'sample_{i}'
        path = osp.join(out_dir, f'{name}_seg.png')
        gt_np = _as_numpy(gt)
        valid = gt_np != ignore_index
        acc = float((_as_numpy(pred)[valid] == gt_np[valid]).mean())
        render_seg_comparison(xyz, pred, gt, class_names, palette, path,
                              ignore_index=ignore_index,
                              title=f'{name}: point accuracy {acc:.3f}')
        results.append((path, acc, len(gt_np)))
    return results
