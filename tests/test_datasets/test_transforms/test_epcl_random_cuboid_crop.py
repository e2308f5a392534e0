import numpy as np
import pytest
import torch
from mmdet3d.structures import DepthInstance3DBoxes, DepthPoints

from epcl_mmdet3d.datasets.transforms import EPCLRandomCuboidCrop


def _sample(n=20000):
    rng = np.random.default_rng(0)
    xyz = rng.random((n, 3)) * np.array([6.0, 5.0, 3.0])
    pts = DepthPoints(torch.from_numpy(np.hstack([xyz, rng.random((n, 3))]).astype(np.float32)),
                      points_dim=6)
    boxes = DepthInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.5, 0.5, 0.5, 1.0],
                                               [5.0, 4.0, 1.0, 0.8, 0.8, 1.0]]),
                                 box_dim=6, with_yaw=False, origin=(0.5, 0.5, 0.5))
    return dict(points=pts, gt_bboxes_3d=boxes, gt_labels_3d=np.array([2, 4]),
                pts_semantic_mask=np.arange(n), pts_instance_mask=np.arange(n) * 2)


def test_crop_keeps_consistent_points_masks_and_boxes():
    np.random.seed(3)
    crop = EPCLRandomCuboidCrop(min_points=500, min_crop=0.3, max_crop=0.6)
    res = crop(_sample())
    n = len(res['points'])
    assert 500 <= n < 20000
    assert len(res['pts_semantic_mask']) == n and len(res['pts_instance_mask']) == n
    np.testing.assert_array_equal(res['pts_instance_mask'], res['pts_semantic_mask'] * 2)
    kept = res['points'].coord.numpy()
    lo, hi = kept.min(0), kept.max(0)
    # 3DETR: a box is kept iff its centre lies within the kept points' extent, and a
    # crop that removes every box is redrawn
    centres = _sample()['gt_bboxes_3d'].gravity_center.numpy()
    kept_labels = set(res['gt_labels_3d'].tolist())
    assert len(res['gt_bboxes_3d']) == len(kept_labels) >= 1
    for centre, label in zip(centres, (2, 4)):
        inside = ((centre >= lo) & (centre <= hi)).all()
        assert inside == (label in kept_labels)
    # the crop is at most max_crop of the extent per axis
    assert (hi - lo <= np.array([6.0, 5.0, 3.0]) * 0.6 + 1e-5).all()


def test_impossible_crop_leaves_sample_unchanged():
    crop = EPCLRandomCuboidCrop(min_points=10 ** 6, max_trials=5)
    res = crop(_sample())
    assert len(res['points']) == 20000 and len(res['gt_bboxes_3d']) == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match='min_crop'):
        EPCLRandomCuboidCrop(min_crop=0.9, max_crop=0.5)


def test_aspect_accepts_a_crop_when_any_side_pair_is_balanced():
    crop = EPCLRandomCuboidCrop(aspect=0.8)
    assert crop._aspect_ok(np.array([0.5, 0.55, 1.0]))  # x/y balanced, z not
    assert crop._aspect_ok(np.array([1.0, 0.5, 0.9]))  # x/z balanced
    assert not crop._aspect_ok(np.array([0.5, 0.7, 1.0]))  # no pair >= 0.8


def test_crops_that_remove_every_box_are_redrawn():
    # one small box in a corner: most crops miss it, and every accepted one keeps it
    sample = _sample()
    sample['gt_bboxes_3d'] = sample['gt_bboxes_3d'][:1]
    sample['gt_labels_3d'] = sample['gt_labels_3d'][:1]
    crop = EPCLRandomCuboidCrop(min_points=500, min_crop=0.3, max_crop=0.5)
    cropped = 0
    for seed in range(20):
        np.random.seed(seed)
        res = crop(dict(sample))
        assert len(res['gt_bboxes_3d']) == 1
        cropped += len(res['points']) < 20000
    assert cropped > 10  # the crops did happen (not the unchanged fallback)


def test_scene_without_boxes_takes_any_crop():
    np.random.seed(0)
    sample = _sample()
    sample['gt_bboxes_3d'] = sample['gt_bboxes_3d'][[]]
    sample['gt_labels_3d'] = sample['gt_labels_3d'][[]]
    res = EPCLRandomCuboidCrop(min_points=500, min_crop=0.3, max_crop=0.5)(sample)
    assert len(res['points']) < 20000 and len(res['gt_bboxes_3d']) == 0
