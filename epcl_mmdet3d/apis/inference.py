"""Run a detector or segmentor on a user's point file through mmdet3d's own inference API."""
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from .point_files import (
    check_point_extent,
    fit_points_to_config,
    pipeline_point_dims,
    read_point_file,
)

# what the "bbox_3d" of a box in prediction_to_dict holds
BOX_LAYOUT = ('bbox_3d = [x, y, z, dx, dy, dz, yaw] with (x, y, z) the BOTTOM centre of the '
              "box (mmdet3d's convention for Depth boxes, as LidarDet3DInferencer writes "
              'them); gravity_center = the middle of the box, z + dz / 2')


def parse_class_names(classes: Union[str, Sequence[str]]) -> List[str]:
    """Class names from a comma-separated string (``"chair, whiteboard, plant"``) or a
    list; blanks around each name are dropped, empty names refused."""
    names = classes.split(',') if isinstance(classes, str) else list(classes)
    names = [str(n).strip() for n in names]
    if not names or any(not n for n in names):
        raise ValueError(f'class names must be non-empty, comma-separated words, got '
                         f'{classes!r}')
    return names


def set_model_classes(model, classes: Optional[Union[str, Sequence[str]]] = None
                      ) -> List[str]:
    """Make the model predict ``classes`` and return the names its labels index.

    With an open-vocabulary head (``cls_classifier=dict(type='EPCLTextEmbeddingClassifier',
    ...)``) any names work, with no retraining; ``model.dataset_meta['classes']`` follows
    (it names the labels in mmdet3d's visualisers), and its palette is dropped when the
    names change. Without ``classes``, such a model keeps the names it has, else takes
    ``model.dataset_meta['classes']`` (the checkpoint's or the config's). A model with
    a fixed classifier refuses other names.

    Args:
        model: from ``mmdet3d.apis.init_model``.
        classes: names, or one comma-separated string of them; None: see above.

    Returns:
        The class names, in label order.
    """
    meta = dict(getattr(model, 'dataset_meta', None) or {})
    current = list(meta.get('classes') or [])
    open_vocab = bool(getattr(model, 'open_vocabulary', False))
    if classes is None:
        if not open_vocab:
            return current
        names = list(model.class_names or current)
        if not names:
            raise ValueError('the model names its classes by text but has none: pass the '
                             'class names (e.g. classes="chair, table")')
    else:
        names = parse_class_names(classes)
        if not open_vocab and names != current:
            raise ValueError(
                f'{type(model).__name__} has a fixed classifier over {current}; it cannot '
                f'name other classes ({names}). Train it with an open-vocabulary head '
                "(cls_classifier=dict(type='EPCLTextEmbeddingClassifier'), see "
                'docs/open_vocabulary.md)')
    if open_vocab:
        model.set_class_names(names)
        if names != current:
            meta.pop('palette', None)
        meta['classes'] = names
        model.dataset_meta = meta
    return names


def infer_point_file(model, path: str, seed: Optional[int] = None,
                     classes: Optional[Union[str, Sequence[str]]] = None) -> Dict:
    """Predict boxes (detector) or per-point labels (segmentor) for one point file.

    The file is read whatever its kind (:func:`read_point_file`), checked for a
    plausible extent, laid out as the config's data files (:func:`fit_points_to_config`)
    and handed to mmdet3d's ``inference_detector`` / ``inference_segmentor`` (which run
    the config's test pipeline: alignment, sampling, colour normalisation, ...).

    Args:
        model: from ``mmdet3d.apis.init_model(config, checkpoint)``.
        path: the point file.
        seed: seeds Python's, numpy's and torch's generators first, so that the
            pipeline's random point sample (``PointSample``) is the same every run.
        classes: the class names to predict (a list or ``"chair, whiteboard, plant"``);
            any names with an open-vocabulary head, see :func:`set_model_classes`.

    Returns:
        dict: ``task`` ('det' or 'seg'), ``sample`` (the ``Det3DDataSample`` with
        ``pred_instances_3d`` or ``pred_pts_seg``), ``points`` ((M, C) tensor: what the
        model read, in the predictions' frame), ``file_points`` ((N, load_dim) array:
        every point of the file, laid out as the config's files), ``columns`` (the
        file's column names, in that layout), ``num_points_read`` (N),
        ``num_points_used`` (M) and ``classes`` (the names the labels index).
    """
    from mmdet3d.apis import inference_detector, inference_segmentor
    from mmdet3d.models import Base3DDetector, Base3DSegmentor
    from mmengine.runner import set_random_seed

    if isinstance(model, Base3DDetector):
        task, run = 'det', inference_detector
    elif isinstance(model, Base3DSegmentor):
        task, run = 'seg', inference_segmentor
    else:
        raise TypeError(f'{type(model).__name__} is neither an mmdet3d detector nor a '
                        'segmentor; point-file inference covers those two')
    names = set_model_classes(model, classes)
    load_dim, _, _ = pipeline_point_dims(model.cfg)
    points, columns = read_point_file(path, load_dim=load_dim)
    check_point_extent(points, path)
    points = fit_points_to_config(points, columns, model.cfg, source=path)
    if seed is not None:
        set_random_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        # the layout of the data set's own files, so the test pipeline loads it as is
        laid_out = osp.join(tmp, osp.splitext(osp.basename(path))[0] + '.bin')
        points.tofile(laid_out)
        sample, data = run(model, laid_out)
    used = data['inputs']['points']
    return dict(task=task, sample=sample, points=used, file_points=points, columns=columns,
                num_points_read=len(points), num_points_used=len(used), classes=names)


def prediction_to_dict(sample, class_names, task: str) -> Dict:
    """A JSON-ready summary of a prediction.

    Args:
        sample: a ``Det3DDataSample`` with predictions.
        class_names: names of the class ids.
        task: 'det' or 'seg'.

    Returns:
        det: ``box_type_3d`` (e.g. 'Depth'), ``box_layout`` (:data:`BOX_LAYOUT`) and
        ``boxes``, one dict per box, best first: ``label``, ``class``, ``score``,
        ``bbox_3d`` (mmdet3d's 7 numbers, bottom centre), ``bottom_center``,
        ``gravity_center``, ``size`` and ``yaw``.
        seg: ``labels`` (one class id per point) and ``class_counts``.
    """
    def name(label: int) -> str:
        return class_names[label] if 0 <= label < len(class_names) else str(label)

    def rounded(values, digits=4):
        return [round(float(v), digits) for v in values]

    if task == 'det':
        pred = sample.pred_instances_3d
        boxes = pred.bboxes_3d
        tensor = boxes.tensor[:, :7].detach().cpu().numpy()  # (P, 7) bottom centre
        gravity = boxes.gravity_center.detach().cpu().numpy()  # (P, 3)
        scores = pred.scores_3d.cpu().numpy()
        labels = pred.labels_3d.cpu().numpy()
        order = np.argsort(-scores, kind='stable')
        box_type = type(boxes).__name__.replace('Instance3DBoxes', '')
        return dict(box_type_3d=box_type, box_layout=BOX_LAYOUT, boxes=[dict(
            label=int(labels[i]), **{'class': name(int(labels[i]))},
            score=round(float(scores[i]), 5), bbox_3d=rounded(tensor[i]),
            bottom_center=rounded(tensor[i, :3]), gravity_center=rounded(gravity[i]),
            size=rounded(tensor[i, 3:6]), yaw=round(float(tensor[i, 6]), 5))
            for i in order])
    labels = sample.pred_pts_seg.pts_semantic_mask
    labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    ids, counts = np.unique(labels, return_counts=True)
    return dict(labels=labels.astype(int).tolist(),
                class_counts={name(int(i)): int(c) for i, c in zip(ids, counts)})
