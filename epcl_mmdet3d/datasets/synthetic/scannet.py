"""Synthetic indoor scenes written in the layout of mmdet3d's ScanNet converter.

mmdet3d's ``tools/create_data.py scannet`` (followed by its v2 info update) leaves::

    data_root/
      points/<scene>.bin          float32 (N, 6): x, y, z, r, g, b (colour 0..255),
                                  in the *unaligned* scan frame
      instance_mask/<scene>.bin   int64 (N,): instance id per point, 0 = none
      semantic_mask/<scene>.bin   int64 (N,): NYU40 label id per point, 0 = none
      scannet_infos_train.pkl     dict(metainfo=..., data_list=[...])
      scannet_infos_val.pkl

Each ``data_list`` entry holds ``lidar_points`` (``num_pts_feats``, ``lidar_path``),
``pts_instance_mask_path``, ``pts_semantic_mask_path``, ``axis_align_matrix`` (4x4 list)
and ``instances`` (``bbox_3d`` = gravity centre + size in the *aligned* frame,
``bbox_label_3d`` = index into the 18 ScanNet detection classes). The pipeline's
``GlobalAlignment`` then aligns the points with ``axis_align_matrix``.

The scenes here are rectangular rooms (floor, up to four walls) furnished with
objects of a few classes whose shapes and sizes differ per class, so that a detector
can learn them. Everything is drawn from a seeded generator: the same seed gives the
same files.
"""
from __future__ import annotations

import os
import os.path as osp
import pickle
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .box_surface import sample_box_surface

#: The 18 ScanNet detection classes, in mmdet3d's order.
SCANNET_DET_CLASSES = ('cabinet', 'bed', 'chair', 'sofa', 'table', 'door',
                       'window', 'bookshelf', 'picture', 'counter', 'desk',
                       'curtain', 'refrigerator', 'showercurtrain', 'toilet',
                       'sink', 'bathtub', 'garbagebin')
#: NYU40 ids of those classes (what the semantic masks store).
SCANNET_DET_NYU40_IDS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 24, 28, 33,
                         34, 36, 39)
NYU40_WALL = 1
NYU40_FLOOR = 2


@dataclass(frozen=True)
class _ObjectKind:
    """A furniture class: its name, size ranges (m), colour and part builder."""

    name: str
    size_lo: tuple
    size_hi: tuple
    color: tuple
    against_wall: bool
    parts: Callable  # (size (3,)) -> list of (lo (3,), hi (3,)) relative to min corner


def _box_parts(size):
    return [(np.zeros(3), size)]


def _chair_parts(size):
    seat_h = 0.45 * size[2]
    return [
        (np.array([0, 0, seat_h - 0.05]), np.array([size[0], size[1], seat_h])),
        (np.array([0, size[1] - 0.06, seat_h]), size),  # back rest
        (np.zeros(3), np.array([0.05, 0.05, seat_h])),  # two front legs
        (np.array([size[0] - 0.05, 0, 0]), np.array([size[0], 0.05, seat_h])),
    ]


def _table_parts(size):
    top = (np.array([0, 0, size[2] - 0.05]), size)
    legs = [(np.array([x, y, 0]), np.array([x + 0.06, y + 0.06, size[2]]))
            for x in (0, size[0] - 0.06) for y in (0, size[1] - 0.06)]
    return [top] + legs


def _sofa_parts(size):
    return [
        (np.zeros(3), np.array([size[0], size[1], 0.45 * size[2]])),  # seat block
        (np.array([0, size[1] - 0.2, 0]), size),  # back
        (np.zeros(3), np.array([0.18, size[1], 0.7 * size[2]])),  # arms
        (np.array([size[0] - 0.18, 0, 0]), np.array([size[0], size[1], 0.7 * size[2]])),
    ]


def _bed_parts(size):
    return [
        (np.zeros(3), np.array([size[0], size[1], 0.55 * size[2]])),  # mattress
        (np.array([0, size[1] - 0.08, 0]), size),  # head board
    ]


def _shelf_parts(size):
    parts = [(np.zeros(3), np.array([size[0], size[1], 0.03]))]
    for z in np.linspace(0.4, size[2], 4):
        parts.append((np.array([0, 0, z - 0.03]), np.array([size[0], size[1], z])))
    parts.append((np.zeros(3), np.array([0.03, size[1], size[2]])))
    parts.append((np.array([size[0] - 0.03, 0, 0]), size))
    parts.append((np.array([0, size[1] - 0.03, 0]), size))
    return parts


# Sizes: (x = width along the wall, y = depth, z = height), metres, loosely ScanNet-like.
_KINDS = {
    k.name: k for k in (
        _ObjectKind('cabinet', (0.6, 0.4, 0.7), (1.2, 0.6, 1.0), (150, 110, 70), True,
                    _box_parts),
        _ObjectKind('bed', (1.4, 1.9, 0.8), (1.8, 2.2, 1.1), (200, 200, 230), True,
                    _bed_parts),
        _ObjectKind('chair', (0.45, 0.45, 0.8), (0.6, 0.6, 1.0), (60, 60, 160), False,
                    _chair_parts),
        _ObjectKind('sofa', (1.6, 0.8, 0.8), (2.2, 1.0, 0.95), (160, 40, 40), True,
                    _sofa_parts),
        _ObjectKind('table', (0.9, 0.7, 0.7), (1.6, 1.0, 0.8), (120, 80, 40), False,
                    _table_parts),
        _ObjectKind('bookshelf', (0.8, 0.3, 1.6), (1.2, 0.4, 2.0), (90, 140, 90), True,
                    _shelf_parts),
    )
}
#: The furniture shapes by class name (the SUN RGB-D generator places them too).
OBJECT_KINDS = _KINDS
#: Classes the generator places, in ScanNet's class order.
DEMO_CLASSES = tuple(c for c in SCANNET_DET_CLASSES if c in _KINDS)


def yaw_matrix(yaw: float) -> np.ndarray:
    """(3, 3) counter-clockwise rotation about +z (``DepthInstance3DBoxes``' yaw)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def make_scene(rng: np.random.Generator, num_points: int = 20000,
               num_objects: tuple[int, int] = (3, 7)) -> dict:
    """Build one synthetic room.

    Args:
        rng: random generator.
        num_points: total points of the scene (floor + walls + objects).
        num_objects: inclusive range of the number of objects placed.

    Returns:
        dict with ``points`` (N, 6) float32 in the unaligned frame (xyz, rgb 0..255),
        ``instance_mask`` (N,) int64, ``semantic_mask`` (N,) int64 NYU40 ids,
        ``axis_align_matrix`` (4, 4) float64 (unaligned -> aligned),
        ``boxes`` (G, 6) float32 aligned gravity centre + size and ``labels`` (G,) int64
        indices into :data:`SCANNET_DET_CLASSES`.
    """
    if num_points < 1000:
        raise ValueError(f'num_points={num_points} is too few for a room; use >= 1000')
    room = np.array([rng.uniform(4.0, 6.5), rng.uniform(4.0, 6.5), rng.uniform(2.5, 3.0)])
    n_obj = int(rng.integers(num_objects[0], num_objects[1] + 1))
    kinds = [_KINDS[DEMO_CLASSES[i]] for i in rng.integers(0, len(DEMO_CLASSES), n_obj)]

    placed = []  # (lo (3,), hi (3,), kind, yaw_quarter)
    for kind in kinds:
        size = rng.uniform(kind.size_lo, kind.size_hi)
        for _ in range(50):  # rejection sampling of a free floor spot
            quarter = int(rng.integers(0, 4))  # multiples of 90 deg keep boxes axis-aligned
            foot = size[[1, 0]] if quarter % 2 else size[:2]
            if kind.against_wall:
                wall = int(rng.integers(0, 4))
                x = rng.uniform(0.05, room[0] - foot[0] - 0.05)
                y = rng.uniform(0.05, room[1] - foot[1] - 0.05)
                if wall == 0:
                    x = 0.05
                elif wall == 1:
                    x = room[0] - foot[0] - 0.05
                elif wall == 2:
                    y = 0.05
                else:
                    y = room[1] - foot[1] - 0.05
            else:
                x = rng.uniform(0.3, room[0] - foot[0] - 0.3)
                y = rng.uniform(0.3, room[1] - foot[1] - 0.3)
            lo = np.array([x, y, 0.0])
            hi = lo + np.array([foot[0], foot[1], size[2]])
            clash = any((lo[:2] < p_hi[:2] + 0.15).all() and (p_lo[:2] < hi[:2] + 0.15).all()
                        for p_lo, p_hi, _, _ in placed)
            if not clash and (hi[:2] < room[:2]).all():
                placed.append((lo, hi, kind, quarter))
                break

    # Point budget: objects get a dense share, the rest goes to floor and walls.
    obj_area = [2 * np.prod(hi[:2] - lo[:2]) + 2 * (hi[2] - lo[2]) * (hi[:2] - lo[:2]).sum()
                for lo, hi, _, _ in placed]
    room_area = room[0] * room[1] + 2 * room[2] * (room[0] + room[1])
    dens = num_points / (room_area + 3.0 * sum(obj_area))
    xyz, rgb, inst, sem = [], [], [], []

    def add(p, color, ins, nyu):
        xyz.append(p)
        rgb.append(np.clip(np.asarray(color) + rng.normal(0, 12, (len(p), 3)), 0, 255))
        inst.append(np.full(len(p), ins, np.int64))
        sem.append(np.full(len(p), nyu, np.int64))

    boxes, labels = [], []
    for i, (lo, hi, kind, quarter) in enumerate(placed):
        size = hi - lo
        local = size[[1, 0, 2]] if quarter % 2 else size  # size before the quarter turn
        parts = kind.parts(local)
        part_area = np.array([np.prod(np.sort(ph - pl)[1:]) * 2 + 1e-3 for pl, ph in parts])
        n_obj_pts = max(int(3.0 * dens * obj_area[i]), 64)
        counts = rng.multinomial(n_obj_pts, part_area / part_area.sum())
        pts = np.concatenate([sample_box_surface(rng, pl, ph, c, with_bottom=False)[0]
                              for (pl, ph), c in zip(parts, counts)])
        # Turn the part layout by quarter * 90 deg about the footprint centre, then place it.
        centre_local = local / 2
        pts = (pts - centre_local) @ yaw_matrix(quarter * np.pi / 2).T + (lo + hi) / 2
        pts += rng.normal(0, 0.005, pts.shape)  # 5 mm sensor noise
        add(pts, kind.color, i + 3, SCANNET_DET_NYU40_IDS[SCANNET_DET_CLASSES.index(kind.name)])
        # The ground-truth box is the tight box of the object's points (as ScanNet's is of
        # its instance's vertices).
        p_lo, p_hi = pts.min(0), pts.max(0)
        boxes.append(np.concatenate([(p_lo + p_hi) / 2, p_hi - p_lo]))
        labels.append(SCANNET_DET_CLASSES.index(kind.name))

    n_floor = int(dens * room[0] * room[1])
    add(np.column_stack([rng.random(n_floor) * room[0], rng.random(n_floor) * room[1],
                         rng.normal(0, 0.005, n_floor)]), (170, 150, 120), 1, NYU40_FLOOR)
    for w in range(4):  # walls; sometimes one is missing, as in partial scans
        if rng.random() < 0.15:
            continue
        length = room[0] if w < 2 else room[1]
        n = int(dens * length * room[2])
        t, z = rng.random(n) * length, rng.random(n) * room[2]
        if w < 2:
            p = np.column_stack([t, np.full(n, 0.0 if w == 0 else room[1]), z])
        else:
            p = np.column_stack([np.full(n, 0.0 if w == 2 else room[0]), t, z])
        add(p + rng.normal(0, 0.005, p.shape), (210, 210, 200), 2, NYU40_WALL)

    xyz = np.concatenate(xyz)
    # Shuffle and resample to exactly num_points.
    order = rng.choice(len(xyz), size=num_points, replace=len(xyz) < num_points)
    xyz, rgb = xyz[order], np.concatenate(rgb)[order]
    inst, sem = np.concatenate(inst)[order], np.concatenate(sem)[order]

    # The scan frame: the aligned room turned by a random yaw and shifted (as ScanNet
    # scans are); axis_align_matrix maps it back.
    yaw = rng.uniform(-np.pi, np.pi)
    shift = rng.uniform(-2.0, 2.0, 3) * np.array([1, 1, 0])
    align = np.eye(4)
    align[:3, :3] = yaw_matrix(yaw)
    align[:3, 3] = shift
    unalign = np.linalg.inv(align)
    xyz_scan = xyz @ unalign[:3, :3].T + unalign[:3, 3]

    points = np.concatenate([xyz_scan, rgb], axis=1).astype(np.float32)  # (N, 6)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 6)
    return dict(points=points, instance_mask=inst, semantic_mask=sem,
                axis_align_matrix=align, boxes=boxes,
                labels=np.asarray(labels, np.int64))


def _data_info(scene_id: str, scene: dict) -> dict:
    """One ``data_list`` entry in mmdet3d 1.x's ScanNet info format."""
    return dict(
        lidar_points=dict(num_pts_feats=6, lidar_path=f'{scene_id}.bin'),
        pts_semantic_mask_path=f'{scene_id}.bin',
        pts_instance_mask_path=f'{scene_id}.bin',
        axis_align_matrix=scene['axis_align_matrix'].tolist(),
        instances=[dict(bbox_3d=b.tolist(), bbox_label_3d=int(lab))
                   for b, lab in zip(scene['boxes'], scene['labels'])])


def create_synthetic_scannet(out_dir: str, num_train: int = 24, num_val: int = 8,
                                num_points: int = 20000, seed: int = 0,
                                num_objects: tuple[int, int] = (3, 7)) -> dict:
    """Write a synthetic data set laid out as mmdet3d's ScanNet converter lays it out.

    Args:
        out_dir: data root to create (``points/``, ``instance_mask/``,
            ``semantic_mask/``, ``scannet_infos_{train,val}.pkl``).
        num_train: training scenes.
        num_val: held-out scenes (a disjoint draw of the same generator).
        num_points: points per scene.
        seed: random seed; the same seed writes the same files.
        num_objects: inclusive range of objects per room.

    Returns:
        dict mapping split name to the info file path written.
    """
    if num_train < 1 or num_val < 1:
        raise ValueError(f'need at least one scene per split, got num_train={num_train}, '
                         f'num_val={num_val}')
    rng = np.random.default_rng(seed)
    for sub in ('points', 'instance_mask', 'semantic_mask'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    written = {}
    scene_no = 0
    for split, count in (('train', num_train), ('val', num_val)):
        data_list = []
        for _ in range(count):
            scene_id = f'scene{9000 + scene_no:04d}_00'
            scene_no += 1
            scene = make_scene(rng, num_points=num_points, num_objects=num_objects)
            scene['points'].tofile(osp.join(out_dir, 'points', f'{scene_id}.bin'))
            scene['instance_mask'].astype(np.int64).tofile(
                osp.join(out_dir, 'instance_mask', f'{scene_id}.bin'))
            scene['semantic_mask'].astype(np.int64).tofile(
                osp.join(out_dir, 'semantic_mask', f'{scene_id}.bin'))
            data_list.append(_data_info(scene_id, scene))
        metainfo = dict(categories={c: i for i, c in enumerate(SCANNET_DET_CLASSES)},
                        dataset='scannet', info_version='1.1')
        path = osp.join(out_dir, f'scannet_infos_{split}.pkl')
        with open(path, 'wb') as f:
            pickle.dump(dict(metainfo=metainfo, data_list=data_list), f)
        written[split] = path
    return written
