"""Surface samplers of simple, clearly different 3D shapes (with normals).

Every sampler takes ``(rng, n)`` and returns ``(points (n, 3), normals (n, 3))``
of a shape of roughly unit size centred near the origin, y up. Composite shapes
sample their parts in proportion to the parts' areas.
"""
from typing import Callable, Dict, List, Tuple

import numpy as np

from .box_surface import sample_box_surface

Sample = Tuple[np.ndarray, np.ndarray]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _split(rng: np.random.Generator, n: int, areas: List[float]) -> np.ndarray:
    """How many of ``n`` points each part gets, proportional to its area."""
    p = np.asarray(areas, dtype=np.float64)
    return rng.multinomial(n, p / p.sum())


def sphere(rng, n, radius=0.8) -> Sample:
    normals = _unit(rng.normal(size=(n, 3)))
    return radius * normals, normals


def box(rng, n, size=(1.2, 1.2, 1.2), center=(0.0, 0.0, 0.0)) -> Sample:
    """Axis-aligned box surface; ``size`` (x, y, z) edge lengths."""
    half = np.asarray(size, dtype=np.float64) / 2
    center = np.asarray(center, dtype=np.float64)
    return sample_box_surface(rng, center - half, center + half, n)


def cube(rng, n) -> Sample:
    return box(rng, n)


def cylinder(rng, n, radius=0.5, height=1.6, center=(0.0, 0.0, 0.0),
             caps=True) -> Sample:
    """Cylinder along y."""
    areas = [2 * np.pi * radius * height] + ([np.pi * radius**2] * 2 if caps else [])
    counts = _split(rng, n, areas)
    t = rng.random(counts[0]) * 2 * np.pi
    side = np.stack([radius * np.cos(t), (rng.random(counts[0]) - 0.5) * height,
                     radius * np.sin(t)], 1)
    side_n = np.stack([np.cos(t), np.zeros_like(t), np.sin(t)], 1)
    pts, nrm = [side], [side_n]
    for i, sign in zip(counts[1:], (1.0, -1.0)):
        r = radius * np.sqrt(rng.random(i))
        a = rng.random(i) * 2 * np.pi
        pts.append(np.stack([r * np.cos(a), np.full(i, sign * height / 2),
                             r * np.sin(a)], 1))
        nrm.append(np.tile([0.0, sign, 0.0], (i, 1)))
    return np.concatenate(pts) + np.asarray(center), np.concatenate(nrm)


def cone(rng, n, radius=0.7, height=1.5) -> Sample:
    """Cone along y, apex up."""
    slant = np.hypot(radius, height)
    counts = _split(rng, n, [np.pi * radius * slant, np.pi * radius**2])
    # Uniform on the lateral surface: distance from apex ~ sqrt(u).
    s = np.sqrt(rng.random(counts[0]))
    a = rng.random(counts[0]) * 2 * np.pi
    side = np.stack([s * radius * np.cos(a), height / 2 - s * height,
                     s * radius * np.sin(a)], 1)
    side_n = _unit(np.stack([height * np.cos(a), np.full_like(a, radius),
                             height * np.sin(a)], 1))
    r = radius * np.sqrt(rng.random(counts[1]))
    b = rng.random(counts[1]) * 2 * np.pi
    base = np.stack([r * np.cos(b), np.full_like(b, -height / 2), r * np.sin(b)], 1)
    base_n = np.tile([0.0, -1.0, 0.0], (counts[1], 1))
    return np.concatenate([side, base]), np.concatenate([side_n, base_n])


def torus(rng, n, major=0.65, minor=0.22) -> Sample:
    """Torus lying in the x-z plane (rejection sampling for a uniform surface)."""
    pts, nrm, have = [], [], 0
    while have < n:
        u = rng.random(2 * n) * 2 * np.pi
        v = rng.random(2 * n) * 2 * np.pi
        keep = rng.random(2 * n) < (major + minor * np.cos(v)) / (major + minor)
        u, v = u[keep], v[keep]
        normal = np.stack([np.cos(v) * np.cos(u), np.sin(v), np.cos(v) * np.sin(u)], 1)
        ring = np.stack([major * np.cos(u), np.zeros_like(u), major * np.sin(u)], 1)
        pts.append(ring + minor * normal)
        nrm.append(normal)
        have += len(u)
    return np.concatenate(pts)[:n], np.concatenate(nrm)[:n]


def pyramid(rng, n, half=0.7, height=1.4) -> Sample:
    """Square pyramid, apex up."""
    apex = np.array([0.0, height / 2, 0.0])
    corners = np.array([[half, -height / 2, half], [-half, -height / 2, half],
                        [-half, -height / 2, -half], [half, -height / 2, -half]])
    tris = [(apex, corners[i], corners[(i + 1) % 4]) for i in range(4)]
    tris += [(corners[0], corners[2], corners[1]), (corners[0], corners[3], corners[2])]
    areas = [np.linalg.norm(np.cross(b - a, c - a)) / 2 for a, b, c in tris]
    counts = _split(rng, n, areas)
    pts, nrm = [], []
    for (a, b, c), count in zip(tris, counts):
        r1, r2 = np.sqrt(rng.random((count, 1))), rng.random((count, 1))
        pts.append((1 - r1) * a + r1 * (1 - r2) * b + r1 * r2 * c)
        normal = _unit(np.cross(b - a, c - a))
        if np.dot(normal, (a + b + c) / 3) < 0:  # point outwards
            normal = -normal
        nrm.append(np.tile(normal, (count, 1)))
    return np.concatenate(pts), np.concatenate(nrm)


def _parts(rng, n, parts: List[Tuple[Callable, dict, float]]) -> Sample:
    counts = _split(rng, n, [area for _, _, area in parts])
    out = [fn(rng, c, **kw) for (fn, kw, _), c in zip(parts, counts)]
    return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


def _box_area(size) -> float:
    x, y, z = size
    return 2 * (x * y + y * z + x * z)


def table(rng, n) -> Sample:
    """Flat top on four thin legs."""
    top = (1.6, 0.08, 1.0)
    leg = (0.08, 0.9, 0.08)
    parts = [(box, dict(size=top, center=(0, 0.45, 0)), _box_area(top))]
    for x in (-0.7, 0.7):
        for z in (-0.42, 0.42):
            parts.append((box, dict(size=leg, center=(x, -0.04, z)), _box_area(leg)))
    return _parts(rng, n, parts)


def cross(rng, n) -> Sample:
    """Three orthogonal bars through the origin."""
    bars = [(1.6, 0.25, 0.25), (0.25, 1.6, 0.25), (0.25, 0.25, 1.6)]
    return _parts(rng, n, [(box, dict(size=s), _box_area(s)) for s in bars])


def board(rng, n) -> Sample:
    """A thin flat plate (plane-like)."""
    return box(rng, n, size=(1.7, 0.04, 1.1))


def bowl(rng, n, radius=0.8) -> Sample:
    """Open hemispherical shell, opening up (outer normals)."""
    normals = _unit(rng.normal(size=(n, 3)))
    normals[:, 1] = -np.abs(normals[:, 1])
    return radius * normals + np.array([0.0, 0.3, 0.0]), normals


def spring(rng, n, radius=0.55, wire=0.08, turns=4, height=1.6) -> Sample:
    """Helical coil along y (a tube around a helix)."""
    t = rng.random(n) * turns * 2 * np.pi
    phi = rng.random(n) * 2 * np.pi
    center = np.stack([radius * np.cos(t), height * (t / (turns * 2 * np.pi) - 0.5),
                       radius * np.sin(t)], 1)
    tangent = _unit(np.stack([-radius * np.sin(t),
                              np.full_like(t, height / (turns * 2 * np.pi)),
                              radius * np.cos(t)], 1))
    radial = np.stack([np.cos(t), np.zeros_like(t), np.sin(t)], 1)
    binormal = np.cross(tangent, radial)
    normal = np.cos(phi)[:, None] * radial + np.sin(phi)[:, None] * binormal
    return center + wire * normal, normal


def dumbbell(rng, n) -> Sample:
    """Two balls joined by a bar along x."""
    def ball(rng, n, x):
        p, q = sphere(rng, n, radius=0.38)
        return p + np.array([x, 0.0, 0.0]), q

    def bar(rng, n):
        p, q = cylinder(rng, n, radius=0.1, height=1.0, caps=False)
        return p[:, [1, 0, 2]], q[:, [1, 0, 2]]  # y-axis cylinder -> x-axis

    ball_area = 4 * np.pi * 0.38**2
    return _parts(rng, n, [(ball, dict(x=-0.75), ball_area),
                           (ball, dict(x=0.75), ball_area),
                           (bar, {}, 2 * np.pi * 0.1 * 1.0)])


SHAPE_SAMPLERS: Dict[str, Callable[..., Sample]] = dict(
    sphere=sphere, cube=cube, cylinder=cylinder, cone=cone, torus=torus,
    pyramid=pyramid, table=table, cross=cross, board=board, bowl=bowl,
    spring=spring, dumbbell=dumbbell)
