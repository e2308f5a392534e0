"""Run a detector or segmentor on a user's point file through mmdet3d's own inference API."""
import os.path as osp
import tempfile
from typing import Dict

import numpy as np
import torch

from .point_files import fit_points_to_config, pipeline_point_dims, read_point_file


def infer_point_file(model, path: str) -> Dict:
    """Predict boxes (detector) or per-point labels (segmentor) for one point file.

    The file is read whatever its kind (:func:`read_point_file`), laid out as the
    config's data files (:func:`fit_points_to_config`) and handed to mmdet3d's
    ``inference_detector`` / ``inference_segmentor`` (which run the config's test
    pipeline: alignment, sampling, colour normalisation, ...).

    Args:
        model: from ``mmdet3d.apis.init_model(config, checkpoint)``.
        path: the point file.

    Returns:
        dict: ``task`` ('det' or 'seg'), ``sample`` (the ``Det3DDataSample`` with
        ``pred_instances_3d`` or ``pred_pts_seg``), ``points`` ((N, C) tensor: what the
        model read, in the predictions' frame).
    """
    from mmdet3d.apis import inference_detector, inference_segmentor
    from mmdet3d.models import Base3DDetector, Base3DSegmentor

    if isinstance(model, Base3DDetector):
        task, run = 'det', inference_detector
    elif isinstance(model, Base3DSegmentor):
        task, run = 'seg', inference_segmentor
    else:
        raise TypeError(f'{type(model).__name__} is neither an mmdet3d detector nor a '
                        'segmentor; point-file inference covers those two')
    load_dim, _, _ = pipeline_point_dims(model.cfg)
    points, columns = read_point_file(path, load_dim=load_dim)
    points = fit_points_to_config(points, columns, model.cfg, source=path)
    with tempfile.TemporaryDirectory() as tmp:
        # the layout of the data set's own files, so the test pipeline loads it as is
        laid_out = osp.join(tmp, osp.splitext(osp.basename(path))[0] + '.bin')
        points.tofile(laid_out)
        sample, data = run(model, laid_out)
    return dict(task=task, sample=sample, points=data['inputs']['points'])


def prediction_to_dict(sample, class_names, task: str) -> Dict:
    """A JSON-ready summary of a prediction.

    Args:
        sample: a ``Det3DDataSample`` with predictions.
        class_names: names of the class ids.
        task: 'det' or 'seg'.

    Returns:
        det: ``boxes``, one dict per box (``label``, ``class``, ``score``,
        ``center`` (gravity centre), ``size``, ``yaw``), best first.
        seg: ``labels`` (one class id per point) and ``class_counts``.
    """
    def name(label: int) -> str:
        return class_names[label] if 0 <= label < len(class_names) else str(label)

    if task == 'det':
        pred = sample.pred_instances_3d
        boxes = pred.bboxes_3d
        centers = boxes.gravity_center.cpu().numpy()
        dims = boxes.dims.cpu().numpy()
        yaws = boxes.yaw.cpu().numpy()
        scores = pred.scores_3d.cpu().numpy()
        labels = pred.labels_3d.cpu().numpy()
        order = np.argsort(-scores, kind='stable')
        return dict(boxes=[dict(label=int(labels[i]), **{'class': name(int(labels[i]))},
                                score=round(float(scores[i]), 5),
                                center=[round(float(v), 4) for v in centers[i]],
                                size=[round(float(v), 4) for v in dims[i]],
                                yaw=round(float(yaws[i]), 5)) for i in order])
    labels = sample.pred_pts_seg.pts_semantic_mask
    labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    ids, counts = np.unique(labels, return_counts=True)
    return dict(labels=labels.astype(int).tolist(),
                class_counts={name(int(i)): int(c) for i, c in zip(ids, counts)})
