"""Bad detector inputs: dtypes through Det3DDataPreprocessor, raw tensors, ground truth."""
import pytest
import torch

from ._tiny_detector import build_tiny_detector, make_points, make_sample


@pytest.fixture(scope='module')
def detector():
    return build_tiny_detector(num_classes=3, num_tokens=32, num_queries=8, num_layers=1)


def _sample(scene='points/scene0042_00.bin', labels=(0, 1), boxes=None):
    boxes = boxes if boxes is not None else [[1, 1, 1, .5, .5, .5], [2, 2, 1, .4, .4, .4]]
    sample = make_sample(boxes, labels)
    sample.set_metainfo(dict(lidar_path=scene))
    return sample


@pytest.mark.parametrize('dtype', [torch.float16, torch.float64])
def test_points_dtypes_through_the_preprocessor(detector, dtype):
    detector.eval()
    data = dict(inputs=dict(points=[make_points().to(dtype)]), data_samples=[_sample()])
    ref = detector.test_step(dict(inputs=dict(points=[make_points().to(dtype).float()]),
                                  data_samples=[_sample()]))
    out = detector.test_step(data)
    assert torch.equal(out[0].pred_instances_3d.scores_3d, ref[0].pred_instances_3d.scores_3d)


def test_a_raw_tensor(detector):
    detector.eval()
    with pytest.raises(ValueError, match=r'one tensor of shape \(512, 3\)'):
        detector.test_step(dict(inputs=dict(points=make_points()), data_samples=[_sample()]))
    out = detector.predict(dict(points=make_points()[None]), [_sample()])  # (B, N, C) batch
    assert len(out) == 1


@pytest.mark.parametrize('labels, match', [
    ((0, 3), 'label 3 is outside'),  # == num_classes: the head's "no object"
    ((7, 0), 'label 7 is outside'),  # > num_classes: an index error in the head
    ((-2, 0), 'label -2 is outside'),  # -1 is "ignore" (test_epcl_3detr_class_subset.py)
])
def test_ground_truth_labels(detector, labels, match):
    detector.train()
    with pytest.raises(ValueError, match=rf'scene points/scene0042_00\.bin: ground-truth '
                                         rf'{match} \[0, 3\)'):
        detector.loss(dict(points=[make_points()]), [_sample(labels=labels)])


def test_nan_box(detector):
    detector.train()
    boxes = [[1, 1, 1, .5, .5, .5], [2, float('nan'), 1, .4, .4, .4]]
    with pytest.raises(ValueError, match=r'scene points/scene0042_00\.bin: ground-truth box 1 '
                                         r'has NaN or Inf'):
        detector.loss(dict(points=[make_points()]), [_sample(boxes=boxes)])
