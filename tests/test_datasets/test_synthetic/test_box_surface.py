import numpy as np
import pytest

from epcl_mmdet3d.datasets.synthetic import sample_box_surface


@pytest.mark.parametrize('with_bottom', [True, False])
def test_points_lie_on_faces_with_outward_normals(with_bottom):
    rng = np.random.default_rng(0)
    lo, hi = np.array([1.0, -2.0, 0.0]), np.array([3.0, 0.0, 0.5])
    pts, nrm = sample_box_surface(rng, lo, hi, 5000, with_bottom=with_bottom)
    assert pts.shape == nrm.shape == (5000, 3)
    assert (pts >= lo - 1e-9).all() and (pts <= hi + 1e-9).all()
    # every point sits on the face its normal points out of
    axis = np.abs(nrm).argmax(1)
    side = nrm[np.arange(len(nrm)), axis]
    np.testing.assert_allclose(np.abs(nrm).sum(1), 1.0)
    on = pts[np.arange(len(pts)), axis]
    np.testing.assert_allclose(on, np.where(side > 0, hi[axis], lo[axis]))
    bottom = (axis == 2) & (side < 0)
    assert bottom.any() == with_bottom


def test_faces_drawn_in_proportion_to_their_area():
    rng = np.random.default_rng(1)
    lo, hi = np.zeros(3), np.array([4.0, 1.0, 1.0])  # x faces 1 m2, the others 4 m2
    _, nrm = sample_box_surface(rng, lo, hi, 36000)
    x_share = (np.abs(nrm[:, 0]) > 0).mean()
    assert abs(x_share - 2 / 18) < 0.01  # 2 of 18 m2


def test_same_seed_same_points():
    a = sample_box_surface(np.random.default_rng(3), np.zeros(3), np.ones(3), 50)[0]
    b = sample_box_surface(np.random.default_rng(3), np.zeros(3), np.ones(3), 50)[0]
    np.testing.assert_array_equal(a, b)
