"""EPCLSemanticClassSubset: ScanNet's 18-class semantic labels onto a class subset."""
import numpy as np
import pytest

from epcl_mmdet3d.datasets.transforms import EPCLSemanticClassSubset


def test_maps_subset_and_ignores_the_rest():
    transform = EPCLSemanticClassSubset(classes=('chair', 'bookshelf', 'cabinet'))
    # ScanNet indices: cabinet 0, chair 2, door 5, bookshelf 7; 18 = not a detection class
    labels = np.array([0, 2, 5, 7, 18, -1])
    out = transform(dict(pts_semantic_mask=labels))['pts_semantic_mask']
    assert out.tolist() == [2, 0, 3, 1, 3, 3]


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match='all_classes'):
        EPCLSemanticClassSubset(classes=('chair', 'lamp'))
    with pytest.raises(KeyError, match='with_seg_3d=True'):
        EPCLSemanticClassSubset(classes=('chair', ))(dict(points=None))


def test_ignore_index_and_what_the_metric_reads():
    """Open-vocabulary protocols keep one "unlabelled" value for every class list, and the
    test-time labels SegMetric reads (eval_ann_info) are re-indexed too."""
    transform = EPCLSemanticClassSubset(classes=('chair', 'bookshelf'), ignore_index=13)
    labels = np.array([0, 2, 5, 7, 18])
    out = transform(dict(pts_semantic_mask=labels,
                         eval_ann_info=dict(pts_semantic_mask=labels)))
    assert out['pts_semantic_mask'].tolist() == [13, 0, 13, 1, 13]
    assert out['eval_ann_info']['pts_semantic_mask'].tolist() == [13, 0, 13, 1, 13]
    with pytest.raises(ValueError, match="ignore_index=1 is the label of class 'bookshelf'"):
        EPCLSemanticClassSubset(classes=('chair', 'bookshelf'), ignore_index=1)
