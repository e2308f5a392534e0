"""Classification transforms: normalisation, sampling, augmentation, packing."""
import numpy as np
import pytest
import torch

from epcl_mmdet3d.datasets.transforms import (
    EPCLNormalizeUnitSphere,
    EPCLPackClsInputs,
    EPCLPointSample,
    EPCLScaleTranslate,
)


def _cloud(n=100, c=6, seed=0):
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(n, c)).astype(np.float32) * 3 + 5
    return pts


def test_normalize_unit_sphere():
    pts = _cloud()
    out = EPCLNormalizeUnitSphere()(dict(points=pts.copy()))['points']
    np.testing.assert_allclose(out[:, :3].mean(0), 0, atol=1e-5)
    assert np.isclose(np.linalg.norm(out[:, :3], axis=1).max(), 1, atol=1e-6)
    np.testing.assert_array_equal(out[:, 3:], pts[:, 3:])  # normals untouched
    # Hand-worked: two points at x = 1 and x = 3 -> -1 and +1.
    two = np.array([[1, 0, 0], [3, 0, 0]], dtype=np.float32)
    np.testing.assert_allclose(EPCLNormalizeUnitSphere()(dict(points=two))['points'],
                               [[-1, 0, 0], [1, 0, 0]])


@pytest.mark.parametrize('method', ['random', 'fps', 'first'])
def test_point_sample_methods(method):
    pts = _cloud(200)
    out = EPCLPointSample(50, method=method)(dict(points=pts))['points']
    assert out.shape == (50, 6)
    rows = {tuple(r) for r in pts}
    assert all(tuple(r) in rows for r in out)
    assert len({tuple(r) for r in out}) == 50  # no repeats
    if method == 'first':
        np.testing.assert_array_equal(out, pts[:50])


def test_fps_sample_spreads_points():
    # 190 points in a tight cluster + 10 far corners: FPS must take the corners.
    rng = np.random.default_rng(0)
    cluster = rng.normal(scale=0.01, size=(190, 3))
    corners = np.array([[x, y, z] for x in (-5, 5) for y in (-5, 5)
                        for z in (-5, 5)] + [[0, 0, 9], [0, 9, 0]], dtype=np.float64)
    pts = np.concatenate([cluster, corners]).astype(np.float32)
    out = EPCLPointSample(11, method='fps')(dict(points=pts))['points']
    far = (np.abs(out) > 1).any(axis=1).sum()
    assert far >= 10


def test_point_sample_too_few_points():
    with pytest.raises(ValueError, match='got 10 points, need 20'):
        EPCLPointSample(20)(dict(points=_cloud(10)))
    out = EPCLPointSample(20, allow_fewer=True)(dict(points=_cloud(10)))['points']
    assert out.shape == (20, 6)


def test_scale_translate_bounds():
    np.random.seed(0)
    pts = np.ones((20, 6), dtype=np.float32)
    out = EPCLScaleTranslate(scale_range=(0.5, 2.0), translate=0.1)(
        dict(points=pts.copy()))['points']
    # every point equals 1 * s + t per axis: identical rows, within the bounds
    assert np.allclose(out[:, :3], out[0, :3])
    assert ((out[0, :3] >= 0.4) & (out[0, :3] <= 2.1)).all()
    np.testing.assert_array_equal(out[:, 3:], 1)
    with pytest.raises(ValueError, match='scale_range'):
        EPCLScaleTranslate(scale_range=(2, 1))


def test_pack_cls_inputs():
    packed = EPCLPackClsInputs()(dict(points=_cloud(8), gt_label=3, shape_id='cube_0001',
                                      sample_idx=5))
    assert packed['inputs']['points'].shape == (8, 6)
    assert packed['inputs']['points'].dtype == torch.float32
    sample = packed['data_samples']
    assert sample.gt_label.label.tolist() == [3]
    assert sample.shape_id == 'cube_0001' and sample.sample_idx == 5
    no_label = EPCLPackClsInputs()(dict(points=_cloud(8)))['data_samples']
    assert 'gt_label' not in no_label
