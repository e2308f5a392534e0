"""Run a detector on one data set scene and gather what the pictures need."""
import os.path as osp
from typing import Dict

import numpy as np
import torch
from mmengine.dataset import pseudo_collate


def load_aligned_scene_points(data_info: Dict) -> np.ndarray:
    """Read a ScanNet-format scene's full point file and align it.

    Args:
        data_info: an entry of ``ScanNetDataset.get_data_info`` (paths already joined
            with the data root).

    Returns:
        (N, num_pts_feats) float32 points, xyz multiplied by ``axis_align_matrix`` when
        the info has one (as the pipeline's ``GlobalAlignment`` does).
    """
    lidar = data_info['lidar_points']
    points = np.fromfile(lidar['lidar_path'], dtype=np.float32).reshape(
        -1, lidar.get('num_pts_feats', 6))
    return align_points(points, data_info.get('axis_align_matrix'))


def align_points(points: np.ndarray, axis_align_matrix=None) -> np.ndarray:
    """(N, C) points with xyz multiplied by a (4, 4) ``axis_align_matrix`` (a copy), as
    mmdet3d's ``GlobalAlignment`` does; the points themselves when there is none."""
    if axis_align_matrix is None:
        return points
    align = np.asarray(axis_align_matrix, dtype=np.float64)
    points = points.copy()
    points[:, :3] = points[:, :3] @ align[:3, :3].T + align[:3, 3]
    return points


def full_scene_points(sample, batch_points, load_dim: int) -> np.ndarray:
    """All points of a detection sample's file, in the frame of its predictions.

    The test pipeline feeds the model a sample of the scene (``PointSample``); the
    picture draws the whole file instead (the renderer thins it for speed), aligned
    by the sample's ``axis_align_matrix`` as ``GlobalAlignment`` aligns the batch.
    Falls back to the batch's points when the file cannot be read or does not cover
    them (a pipeline that moved the points otherwise).

    Args:
        sample: a ``Det3DDataSample`` (``lidar_path``, maybe ``axis_align_matrix``).
        batch_points: (M, C) the points the model read.
        load_dim: values per point of the data set's files.

    Returns:
        (N, C') points, xyz first.
    """
    batch = batch_points.detach().cpu().numpy() if hasattr(batch_points, 'detach') \
        else np.asarray(batch_points)
    path = sample.get('lidar_path')
    if not path or not osp.isfile(path) or not load_dim:
        return batch
    flat = np.fromfile(path, dtype=np.float32)
    if flat.size % load_dim:
        return batch
    points = align_points(flat.reshape(-1, load_dim), sample.get('axis_align_matrix'))
    lo, hi = points[:, :3].min(0) - 1e-3, points[:, :3].max(0) + 1e-3
    inside = (batch[:, :3] >= lo) & (batch[:, :3] <= hi)
    return points if inside.all() else batch


@torch.no_grad()
def predict_det_scene(model: torch.nn.Module, dataset, index: int) -> Dict:
    """Predict the boxes of one scene with the data set's (test) pipeline.

    Args:
        model: a built mmdet3d detector (in eval mode).
        dataset: an mmdet3d indoor data set (``ScanNetDataset``) with a test pipeline.
        index: scene index in ``dataset``.

    Returns:
        dict with ``points`` (N, C) aligned full-resolution points, ``pred_boxes``
        (P, 6) gravity centre + size, ``pred_scores`` (P,), ``pred_labels`` (P,),
        ``gt_boxes`` (G, 6), ``gt_labels`` (G,), ``class_names`` and ``scene``.
    """
    if not 0 <= index < len(dataset):
        raise IndexError(f'scene index {index} is out of range: the data set has '
                         f'{len(dataset)} scenes')
    model.eval()
    sample = model.test_step(pseudo_collate([dataset[index]]))[0]
    pred = sample.pred_instances_3d
    info = dataset.get_data_info(index)
    ann = info.get('eval_ann_info') or info.get('ann_info') or {}
    gt_boxes = ann.get('gt_bboxes_3d')
    if gt_boxes is not None and len(gt_boxes):
        gt = torch.cat([gt_boxes.gravity_center, gt_boxes.dims], dim=1).numpy()
        gt_labels = np.asarray(ann['gt_labels_3d'])
        gt, gt_labels = gt[gt_labels >= 0], gt_labels[gt_labels >= 0]
    else:
        gt, gt_labels = np.zeros((0, 6)), np.zeros(0, dtype=np.int64)
    boxes = pred.bboxes_3d
    return dict(
        points=load_aligned_scene_points(info),
        pred_boxes=torch.cat([boxes.gravity_center, boxes.dims], dim=1).cpu().numpy(),
        pred_scores=pred.scores_3d.cpu().numpy(),
        pred_labels=pred.labels_3d.cpu().numpy(),
        gt_boxes=gt, gt_labels=gt_labels,
        class_names=tuple(dataset.metainfo['classes']),
        scene=osp.splitext(osp.basename(info['lidar_points']['lidar_path']))[0])
