"""Synthetic indoor rooms labelled with the 13 S3DIS semantic classes.

A room is an axis-aligned box (floor, ceiling, four walls) with openings and
objects: a door and a window cut into the walls, an optional beam under the
ceiling, an optional column in a corner, a board on a wall, tables with chairs,
an optional sofa, an optional bookcase and some clutter. Every element is a set
of points sampled on its surfaces at a given density, coloured by a per-class
base colour with per-instance and per-point jitter, like an RGB-D scan.

The output follows the layout of the S3DIS export that mmdetection3d's
converter reads (``Area_x/room/Annotations`` concatenated): points ``(N, 6)``
``float32`` with xyz in metres shifted so the smallest coordinate is at the
origin and RGB in ``[0, 255]``; semantic labels ``(N,)`` ``int64`` in
``[0, 12]``; instance labels ``(N,)`` ``int64`` starting at 1 (0 would mean
unannotated, which never happens here).
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from .box_surface import sample_box_surface

S3DIS_CLASSES = ('ceiling', 'floor', 'wall', 'beam', 'column', 'window',
                 'door', 'table', 'chair', 'sofa', 'bookcase', 'board',
                 'clutter')
_LABEL = {name: i for i, name in enumerate(S3DIS_CLASSES)}

# Base RGB per class. Similar classes get similar colours on purpose (walls,
# ceiling and columns are all light grey) so that geometry has to be used too.
_BASE_COLOUR = {
    'ceiling': (200, 200, 195),
    'floor': (120, 100, 80),
    'wall': (185, 185, 175),
    'beam': (175, 175, 170),
    'column': (190, 188, 180),
    'window': (150, 180, 210),
    'door': (140, 90, 50),
    'table': (160, 120, 70),
    'chair': (60, 60, 70),
    'sofa': (110, 40, 40),
    'bookcase': (130, 100, 60),
    'board': (235, 235, 235),
    'clutter': (90, 140, 90),
}


@dataclass
class SyntheticRoom:
    """A generated room.

    Attributes:
        points: (N, 6) float32, xyz (metres, min at origin) and RGB in [0, 255].
        semantic_mask: (N,) int64 S3DIS class ids in [0, 12].
        instance_mask: (N,) int64 instance ids starting at 1.
    """
    points: np.ndarray
    semantic_mask: np.ndarray
    instance_mask: np.ndarray


class _RoomBuilder:
    """Accumulates labelled surface samples for one room."""

    def __init__(self, rng: np.random.Generator, density: float):
        self.rng = rng
        self.density = density
        self.xyz: List[np.ndarray] = []
        self.rgb: List[np.ndarray] = []
        self.sem: List[np.ndarray] = []
        self.ins: List[np.ndarray] = []
        self.next_instance = 1

    def rect(self, origin, u, v) -> np.ndarray:
        """Samples the parallelogram ``origin + s*u + t*v``, s, t in [0, 1].

        Returns:
            (n, 3) float64 points, n drawn from the area times the density.
        """
        origin, u, v = (np.asarray(a, dtype=np.float64) for a in (origin, u, v))
        area = np.linalg.norm(np.cross(u, v))
        n = max(1, self.rng.poisson(area * self.density))
        st = self.rng.random((n, 2))
        return origin + st[:, :1] * u + st[:, 1:] * v  # (n, 3)

    def box(self, lo, hi, skip_bottom: bool = True) -> np.ndarray:
        """Samples the faces of an axis-aligned box at the builder's density.

        Args:
            lo: (3,) minimum corner.
            hi: (3,) maximum corner.
            skip_bottom: leave out the bottom face (it rests on something).

        Returns:
            (n, 3) points, n drawn from the sampled faces' area times the density.
        """
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        dx, dy, dz = hi - lo
        area = 2 * (dx * dy + dx * dz + dy * dz) - (dx * dy if skip_bottom else 0.0)
        n = max(1, self.rng.poisson(area * self.density))
        return sample_box_surface(self.rng, lo, hi, n, with_bottom=not skip_bottom)[0]

    def add(self, xyz: np.ndarray, cls: str) -> None:
        """Adds ``xyz`` (n, 3) as one new instance of class ``cls``."""
        base = np.asarray(_BASE_COLOUR[cls], dtype=np.float64)
        tint = base + self.rng.normal(0.0, 12.0, 3)  # per-instance shade
        rgb = tint + self.rng.normal(0.0, 8.0, (len(xyz), 3))  # (n, 3)
        self.xyz.append(xyz)
        self.rgb.append(np.clip(rgb, 0, 255))
        self.sem.append(np.full(len(xyz), _LABEL[cls], dtype=np.int64))
        self.ins.append(np.full(len(xyz), self.next_instance, dtype=np.int64))
        self.next_instance += 1

    def build(self, noise: float) -> SyntheticRoom:
        xyz = np.concatenate(self.xyz)
        xyz = xyz + self.rng.normal(0.0, noise, xyz.shape)  # sensor noise
        xyz = xyz - xyz.min(axis=0)  # the S3DIS export puts the minimum at 0
        points = np.concatenate([xyz, np.concatenate(self.rgb)], axis=1)
        return SyntheticRoom(
            points=points.astype(np.float32),
            semantic_mask=np.concatenate(self.sem),
            instance_mask=np.concatenate(self.ins))


def _wall_frames(lx: float, ly: float) -> List[Tuple[np.ndarray, np.ndarray,
                                                     np.ndarray, float]]:
    """Walls as (origin, unit direction along the wall, inward normal, length)."""
    return [
        (np.array([0., 0., 0.]), np.array([1., 0., 0.]),
         np.array([0., 1., 0.]), lx),
        (np.array([0., ly, 0.]), np.array([1., 0., 0.]),
         np.array([0., -1., 0.]), lx),
        (np.array([0., 0., 0.]), np.array([0., 1., 0.]),
         np.array([1., 0., 0.]), ly),
        (np.array([lx, 0., 0.]), np.array([0., 1., 0.]),
         np.array([-1., 0., 0.]), ly),
    ]


def _free(footprints: List[Tuple[float, float, float, float]],
          cand: Tuple[float, float, float, float], gap: float = 0.1) -> bool:
    """Whether the 2D box ``cand`` (x0, y0, x1, y1) overlaps no footprint."""
    x0, y0, x1, y1 = cand
    return all(x1 + gap <= a0 or x0 - gap >= a1 or y1 + gap <= b0
               or y0 - gap >= b1 for a0, b0, a1, b1 in footprints)


def _place(rng, footprints, lx, ly, sx, sy, tries: int = 30):
    """Finds a free spot for an ``sx`` x ``sy`` footprint inside the room."""
    for _ in range(tries):
        x0 = rng.uniform(0.1, max(0.11, lx - sx - 0.1))
        y0 = rng.uniform(0.1, max(0.11, ly - sy - 0.1))
        cand = (x0, y0, x0 + sx, y0 + sy)
        if x0 + sx < lx and y0 + sy < ly and _free(footprints, cand):
            footprints.append(cand)
            return cand
    return None


def generate_room(seed: int,
                  size_range: Tuple[float, float] = (3.0, 6.0),
                  height_range: Tuple[float, float] = (2.6, 3.2),
                  density: float = 120.0,
                  noise: float = 0.005,
                  size: Optional[Tuple[float, float]] = None) -> SyntheticRoom:
    """Generates one labelled room.

    Args:
        seed: random seed; the same seed gives the same room.
        size_range: range of the floor side lengths in metres.
        height_range: range of the room height in metres.
        density: surface sampling density in points per square metre.
        noise: standard deviation of the xyz noise in metres.
        size: fixed (lx, ly) floor size in metres, overriding ``size_range``.

    Returns:
        The room; its points are in S3DIS export layout (see module doc).
    """
    if density <= 0:
        raise ValueError(f'density must be positive, got {density}')
    rng = np.random.default_rng(seed)
    b = _RoomBuilder(rng, density)
    lx, ly = size if size is not None else rng.uniform(*size_range, 2)
    h = rng.uniform(*height_range)
    ex, ey, ez = np.eye(3)

    b.add(b.rect([0, 0, 0], lx * ex, ly * ey), 'floor')
    b.add(b.rect([0, 0, h], lx * ex, ly * ey), 'ceiling')

    # Openings: a door and a window on two different walls, a board on a third.
    walls = _wall_frames(lx, ly)
    order = rng.permutation(4)
    openings = {}  # wall index -> list of (u0, u1, z0, z1) holes
    door_wall, window_wall, board_wall = order[:3]
    length = walls[door_wall][3]
    u0 = rng.uniform(0.2, length - 1.1)
    openings.setdefault(door_wall, []).append((u0, u0 + 0.9, 0.0, 2.1))
    length = walls[window_wall][3]
    u0 = rng.uniform(0.3, length - 1.6)
    openings.setdefault(window_wall, []).append((u0, u0 + 1.3, 0.9, 2.1))

    for i, (origin, along, inward, length) in enumerate(walls):
        pts = b.rect(origin, length * along, h * ez)  # (n, 3)
        u = (pts - origin) @ along
        keep = np.ones(len(pts), dtype=bool)
        for (a0, a1, z0, z1) in openings.get(i, []):
            keep &= ~((u > a0) & (u < a1) & (pts[:, 2] > z0) &
                      (pts[:, 2] < z1))
        b.add(pts[keep], 'wall')
    for i, holes in openings.items():
        origin, along, inward, _ = walls[i]
        for (a0, a1, z0, z1) in holes:
            corner = origin + a0 * along + z0 * ez
            if i == door_wall:  # a door panel slightly inside the room
                pts = b.rect(corner + 0.03 * inward, (a1 - a0) * along,
                             (z1 - z0) * ez)
                b.add(pts, 'door')
            else:  # a window pane recessed into the wall
                pts = b.rect(corner - 0.08 * inward, (a1 - a0) * along,
                             (z1 - z0) * ez)
                b.add(pts, 'window')
    origin, along, inward, length = walls[board_wall]
    bw = min(2.0, length - 0.6)
    u0 = rng.uniform(0.3, length - bw - 0.3)
    b.add(
        b.rect(origin + u0 * along + 0.9 * ez + 0.02 * inward, bw * along,
               1.1 * ez), 'board')

    footprints: List[Tuple[float, float, float, float]] = []
    if rng.random() < 0.6:  # a column in a random corner
        cx = 0.0 if rng.random() < 0.5 else lx - 0.4
        cy = 0.0 if rng.random() < 0.5 else ly - 0.4
        b.add(b.box([cx, cy, 0], [cx + 0.4, cy + 0.4, h]), 'column')
        footprints.append((cx, cy, cx + 0.4, cy + 0.4))
    if rng.random() < 0.5:  # a beam across the ceiling
        y0 = rng.uniform(0.5, ly - 0.8)
        b.add(b.box([0, y0, h - 0.35], [lx, y0 + 0.3, h], skip_bottom=False),
              'beam')
    if rng.random() < 0.7:  # a bookcase against the wall y = 0
        x0 = rng.uniform(0.5, lx - 1.4)
        if _free(footprints, (x0, 0.0, x0 + 0.9, 0.35)):
            footprints.append((x0, 0.0, x0 + 0.9, 0.35))
            pts = [b.box([x0, 0.02, 0], [x0 + 0.9, 0.35, 2.0])]
            for z in (0.5, 1.0, 1.5):  # shelves
                pts.append(b.rect([x0, 0.02, z], 0.9 * ex, 0.33 * ey))
            b.add(np.concatenate(pts), 'bookcase')

    for _ in range(rng.integers(1, 3)):  # tables, each with chairs
        sx, sy = rng.uniform(1.2, 1.8), rng.uniform(0.7, 0.9)
        spot = _place(rng, footprints, lx, ly, sx, sy)
        if spot is None:
            continue
        x0, y0, x1, y1 = spot
        top = rng.uniform(0.72, 0.78)
        pts = [b.box([x0, y0, top - 0.04], [x1, y1, top], skip_bottom=False)]
        for lxg, lyg in ((x0, y0), (x1 - 0.05, y0), (x0, y1 - 0.05),
                         (x1 - 0.05, y1 - 0.05)):
            pts.append(b.box([lxg, lyg, 0], [lxg + 0.05, lyg + 0.05, top - 0.04]))
        b.add(np.concatenate(pts), 'table')
        for _ in range(rng.integers(1, 4)):
            if rng.random() < 0.5:
                clutter_xy = rng.uniform([x0 + 0.1, y0 + 0.1],
                                         [x1 - 0.3, y1 - 0.3])
                s = rng.uniform(0.1, 0.25, 3)
                lo = np.array([*clutter_xy, top])
                b.add(b.box(lo, lo + s), 'clutter')
        for cx in np.arange(x0 + 0.1, x1 - 0.4, 0.6):  # chairs along a side
            side = rng.random() < 0.5
            cy = y0 - 0.55 if side else y1 + 0.1
            if cy < 0.05 or cy + 0.45 > ly - 0.05:
                continue
            if rng.random() < 0.3:
                continue
            seat = rng.uniform(0.42, 0.48)
            pts = [b.box([cx, cy, seat - 0.05], [cx + 0.45, cy + 0.45, seat],
                         skip_bottom=False)]
            by = cy if side else cy + 0.4
            pts.append(b.box([cx, by, seat], [cx + 0.45, by + 0.05, seat + 0.45]))
            for px, py in ((cx, cy), (cx + 0.41, cy), (cx, cy + 0.41),
                           (cx + 0.41, cy + 0.41)):
                pts.append(b.box([px, py, 0], [px + 0.04, py + 0.04, seat - 0.05]))
            b.add(np.concatenate(pts), 'chair')

    if rng.random() < 0.5:  # a sofa
        spot = _place(rng, footprints, lx, ly, 1.9, 0.85)
        if spot is not None:
            x0, y0, x1, y1 = spot
            pts = [b.box([x0, y0, 0], [x1, y1, 0.42]),
                   b.box([x0, y1 - 0.2, 0.42], [x1, y1, 0.85]),
                   b.box([x0, y0, 0.42], [x0 + 0.2, y1, 0.6]),
                   b.box([x1 - 0.2, y0, 0.42], [x1, y1, 0.6])]
            b.add(np.concatenate(pts), 'sofa')
    for _ in range(rng.integers(1, 4)):  # clutter on the floor
        s = rng.uniform(0.2, 0.5, 3)
        spot = _place(rng, footprints, lx, ly, s[0], s[1])
        if spot is not None:
            b.add(b.box([spot[0], spot[1], 0], [spot[2], spot[3], s[2]]),
                  'clutter')
    return b.build(noise)
