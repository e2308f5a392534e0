"""Re-index per-point semantic labels onto a subset of a data set's classes."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.datasets import ScanNetDataset
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EPCLSemanticClassSubset(BaseTransform):
    """Map per-point semantic labels of all classes to the labels of a class subset.

    ``ScanNetDataset`` maps its semantic masks (via ``PointSegClassMapping``) to the
    18 detection classes whatever ``metainfo['classes']`` selects, while the box
    labels follow ``metainfo``. ``VoteHead`` and ``GroupFree3DHead`` take a point's
    instance as an object when its semantic label is below ``num_classes``, so with
    a class subset they would skip or mislabel objects. This transform, placed after
    ``PointSegClassMapping``, sends ``all_classes.index(name)`` to
    ``classes.index(name)`` and every other label to ``ignore_index`` (by default
    ``len(classes)``). Open-vocabulary protocols use it to leave the points of novel
    classes unlabelled in training (S3DIS / ScanNet segmentation base / novel).

    Required keys: ``pts_semantic_mask``. Modified keys: ``pts_semantic_mask`` and, at
    test time, ``eval_ann_info['pts_semantic_mask']`` (what ``SegMetric`` reads), as
    ``PointSegClassMapping`` does.

    Args:
        classes: the class subset, in the order of ``metainfo['classes']``.
        all_classes: the classes the incoming labels index (ScanNet's 18 by default);
            labels outside ``range(len(all_classes))`` count as ignored.
        ignore_index: the label of every other point; None: ``len(classes)``.
    """

    def __init__(self, classes: Sequence[str],
                 all_classes: Sequence[str] = ScanNetDataset.METAINFO['classes'],
                 ignore_index: Optional[int] = None) -> None:
        missing = [c for c in classes if c not in all_classes]
        if missing:
            raise ValueError(f'classes {missing} are not among all_classes '
                             f'{list(all_classes)}; pass the class list the semantic '
                             'labels index as all_classes')
        ignore = len(classes) if ignore_index is None else int(ignore_index)
        if 0 <= ignore < len(classes):
            raise ValueError(f'ignore_index={ignore} is the label of class '
                             f'{classes[ignore]!r}; use len(classes) or more')
        # one extra slot for labels already past the end (the data set's ignore index)
        self.mapping = np.full(len(all_classes) + 1, ignore, dtype=np.int64)
        for new, name in enumerate(classes):
            self.mapping[list(all_classes).index(name)] = new
        self.classes = tuple(classes)

    def transform(self, results: dict) -> dict:
        if 'pts_semantic_mask' not in results:
            raise KeyError('EPCLSemanticClassSubset needs pts_semantic_mask: load it with '
                           'LoadAnnotations3D(with_seg_3d=True) and map it with '
                           'PointSegClassMapping first')
        labels = np.asarray(results['pts_semantic_mask']).astype(np.int64)
        outside = (labels < 0) | (labels >= len(self.mapping))
        labels = np.where(outside, len(self.mapping) - 1, labels)  # -> ignored
        results['pts_semantic_mask'] = self.mapping[labels]
        if 'eval_ann_info' in results:  # what SegMetric compares with
            results['eval_ann_info']['pts_semantic_mask'] = results['pts_semantic_mask']
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(classes={self.classes})'
