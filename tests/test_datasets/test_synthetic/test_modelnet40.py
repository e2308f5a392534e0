"""The synthetic generator writes the modelnet40_normal_resampled layout."""
import numpy as np

from epcl_mmdet3d.datasets.modelnet40 import (
    load_shape_points,
    read_shape_names,
    read_split,
    shape_class,
    shape_path,
)
from epcl_mmdet3d.datasets.synthetic import (
    SHAPE_SAMPLERS,
    create_synthetic_modelnet40,
    sample_synthetic_shape,
)


def test_every_shape_sampler_gives_unit_normals_on_a_bounded_surface():
    rng = np.random.default_rng(0)
    assert len(SHAPE_SAMPLERS) >= 10
    for name in SHAPE_SAMPLERS:
        pts = sample_synthetic_shape(name, rng, 500)
        assert pts.shape == (500, 6) and np.isfinite(pts).all(), name
        np.testing.assert_allclose(np.linalg.norm(pts[:, 3:], axis=1), 1, atol=1e-5)
        assert np.abs(pts[:, :3]).max() < 2, name


def test_shapes_of_different_classes_differ():
    # Distribution of distances to the centroid: a cheap shape signature.
    rng = np.random.default_rng(1)
    sigs = {}
    for name in SHAPE_SAMPLERS:
        p = sample_synthetic_shape(name, rng, 2000)[:, :3]
        d = np.linalg.norm(p - p.mean(0), axis=1)
        sigs[name] = np.histogram(d / d.max(), bins=10, range=(0, 1))[0] / 2000
    names = list(sigs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(sigs[a] - sigs[b]).sum() > 0.1, (a, b)


def test_layout_is_written_and_readable(tmp_path):
    root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(root, classes=['sphere', 'cube', 'torus'],
                             train_per_class=3, test_per_class=2, num_points=64)
    names = read_shape_names(root)
    assert names == ['sphere', 'cube', 'torus']
    train, test = read_split(root, 'train'), read_split(root, 'test')
    assert len(train) == 9 and len(test) == 6 and not set(train) & set(test)
    sid = test[0]
    pts = load_shape_points(shape_path(root, sid, shape_class(sid, names)), True)
    assert pts.shape == (64, 6)
