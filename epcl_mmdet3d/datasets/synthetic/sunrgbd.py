"""Synthetic single-view indoor scenes written in the layout of mmdet3d's SUN RGB-D converter.

mmdet3d's ``tools/create_data.py sunrgbd`` (1.x info format) leaves::

    data_root/
      points/<idx>.bin          float32 (N, 6): x, y, z, r, g, b (colour 0..1), in the
                                upright depth frame (x right, y forward, z up; the
                                camera at the origin)
      sunrgbd_infos_train.pkl   dict(metainfo=..., data_list=[...])
      sunrgbd_infos_val.pkl

Each ``data_list`` entry holds ``lidar_points`` (``num_pts_feats``, ``lidar_path``),
``images`` (``CAM0``: ``img_path``, ``depth2img``, ``height``, ``width``) and
``instances`` (``bbox_3d`` = gravity centre, size (dx, dy, dz) and yaw, mmdet3d's
``DepthInstance3DBoxes`` convention (counter-clockwise about +z from +x);
``bbox_label_3d`` = index into the 10 SUN RGB-D classes). No image is written: configs
read the points only (``modality=dict(use_camera=False, use_lidar=True)``).

A scene is a patch of floor and a back wall seen from a camera about 1.3 m above the
floor, with 2-5 pieces of furniture at arbitrary yaw (the point of this set: SUN RGB-D's
boxes are yawed, ScanNet's are not). Shapes reuse the ScanNet generator's furniture.
Everything is drawn from a seeded generator: the same seed gives the same files.
"""
from __future__ import annotations

import os
import os.path as osp
import pickle

import numpy as np

from .box_surface import sample_box_surface
from .scannet import OBJECT_KINDS, yaw_matrix

#: The 10 SUN RGB-D detection classes, in mmdet3d's order.
SUNRGBD_CLASSES = ('bed', 'table', 'sofa', 'chair', 'toilet', 'desk', 'dresser',
                   'night_stand', 'bookshelf', 'bathtub')
#: Classes the generator places (SUN RGB-D name -> furniture shape of the ScanNet set).
SUNRGBD_DEMO_SHAPES = {'bed': 'bed', 'table': 'table', 'sofa': 'sofa', 'chair': 'chair',
                       'dresser': 'cabinet', 'bookshelf': 'bookshelf'}
#: The placed classes in SUN RGB-D's order (the demo config's class list).
SUNRGBD_DEMO_CLASSES = tuple(c for c in SUNRGBD_CLASSES if c in SUNRGBD_DEMO_SHAPES)


def make_sunrgbd_scene(rng: np.random.Generator, num_points: int = 20000,
                       num_objects: tuple[int, int] = (2, 5)) -> dict:
    """Build one synthetic single-view scene.

    Args:
        rng: random generator.
        num_points: total points (floor + wall + objects).
        num_objects: inclusive range of the number of objects placed.

    Returns:
        dict with ``points`` (N, 6) float32 (xyz in the upright depth frame, rgb 0..1),
        ``boxes`` (G, 7) float32 gravity centre + size + yaw and ``labels`` (G,) int64
        indices into :data:`SUNRGBD_CLASSES`.
    """
    if num_points < 1000:
        raise ValueError(f'num_points={num_points} is too few for a scene; use >= 1000')
    floor_z = -rng.uniform(1.1, 1.5)  # the camera sits at the origin, above the floor
    depth = rng.uniform(4.0, 5.5)  # distance from the camera to the back wall
    half_w = rng.uniform(2.0, 3.0)  # floor from -half_w to +half_w in x
    n_obj = int(rng.integers(num_objects[0], num_objects[1] + 1))
    names = [SUNRGBD_DEMO_CLASSES[i] for i in
             rng.integers(0, len(SUNRGBD_DEMO_CLASSES), n_obj)]

    placed = []  # (centre xy (2,), radius, size (3,), yaw, name)
    for name in names:
        kind = OBJECT_KINDS[SUNRGBD_DEMO_SHAPES[name]]
        size = rng.uniform(kind.size_lo, kind.size_hi)  # (3,) before the yaw
        radius = 0.5 * np.hypot(size[0], size[1])
        for _ in range(50):  # rejection sampling of a free floor spot
            xy = np.array([rng.uniform(-half_w + radius, half_w - radius),
                           rng.uniform(1.0 + radius, depth - radius)])
            if all(np.linalg.norm(xy - p[0]) > radius + p[1] + 0.1 for p in placed):
                placed.append((xy, radius, size, rng.uniform(-np.pi, np.pi), name))
                break

    obj_area = [2 * (s[0] * s[1] + s[2] * (s[0] + s[1])) for _, _, s, _, _ in placed]
    scene_area = 2 * half_w * depth + 2 * half_w * (-floor_z + 1.5)
    dens = num_points / (scene_area + 3.0 * sum(obj_area))
    xyz, rgb, boxes, labels = [], [], [], []
    for i, (xy, _, size, yaw, name) in enumerate(placed):
        kind = OBJECT_KINDS[SUNRGBD_DEMO_SHAPES[name]]
        parts = kind.parts(size)  # boxes (lo, hi) relative to the min corner
        part_area = np.array([np.prod(np.sort(ph - pl)[1:]) * 2 + 1e-3 for pl, ph in parts])
        counts = rng.multinomial(max(int(3.0 * dens * obj_area[i]), 64),
                                 part_area / part_area.sum())
        pts = np.concatenate([sample_box_surface(rng, pl, ph, c)[0]
                              for (pl, ph), c in zip(parts, counts)])  # (n, 3)
        centre = np.array([xy[0], xy[1], floor_z + size[2] / 2])  # gravity centre
        pts = (pts - size / 2) @ yaw_matrix(yaw).T + centre  # turn, then place
        pts += rng.normal(0, 0.005, pts.shape)  # 5 mm sensor noise
        xyz.append(pts)
        rgb.append(np.clip(np.asarray(kind.color) / 255 + rng.normal(0, 0.05, pts.shape),
                           0, 1))
        boxes.append(np.concatenate([centre, size, [yaw]]))
        labels.append(SUNRGBD_CLASSES.index(name))

    n_floor = int(dens * 2 * half_w * depth)
    floor = np.column_stack([rng.uniform(-half_w, half_w, n_floor),
                             rng.uniform(0.5, depth, n_floor),
                             floor_z + rng.normal(0, 0.005, n_floor)])
    n_wall = int(dens * 2 * half_w * (-floor_z + 1.5))
    wall = np.column_stack([rng.uniform(-half_w, half_w, n_wall),
                            depth + rng.normal(0, 0.005, n_wall),
                            rng.uniform(floor_z, 1.5, n_wall)])
    for surface, colour in ((floor, (0.65, 0.6, 0.5)), (wall, (0.8, 0.8, 0.78))):
        xyz.append(surface)
        rgb.append(np.clip(np.asarray(colour) + rng.normal(0, 0.05, surface.shape), 0, 1))

    xyz, rgb = np.concatenate(xyz), np.concatenate(rgb)
    order = rng.choice(len(xyz), size=num_points, replace=len(xyz) < num_points)
    points = np.concatenate([xyz[order], rgb[order]], axis=1).astype(np.float32)  # (N, 6)
    return dict(points=points, boxes=np.asarray(boxes, np.float32).reshape(-1, 7),
                labels=np.asarray(labels, np.int64))


def _data_info(idx: str, scene: dict) -> dict:
    """One ``data_list`` entry in mmdet3d 1.x's SUN RGB-D info format."""
    intrinsics = [[529.5, 0.0, 365.0], [0.0, 529.5, 265.0], [0.0, 0.0, 1.0]]
    return dict(
        lidar_points=dict(num_pts_feats=6, lidar_path=f'{idx}.bin'),
        images=dict(CAM0=dict(img_path=f'{idx}.jpg', depth2img=intrinsics, height=530,
                              width=730)),
        instances=[dict(bbox_3d=b.tolist(), bbox_label_3d=int(lab))
                   for b, lab in zip(scene['boxes'], scene['labels'])])


def create_synthetic_sunrgbd(out_dir: str, num_train: int = 24, num_val: int = 8,
                             num_points: int = 20000, seed: int = 0,
                             num_objects: tuple[int, int] = (2, 5)) -> dict:
    """Write a synthetic data set laid out as mmdet3d's SUN RGB-D converter lays it out.

    Args:
        out_dir: data root to create (``points/``, ``sunrgbd_infos_{train,val}.pkl``).
        num_train: training scenes.
        num_val: held-out scenes (a disjoint draw of the same generator).
        num_points: points per scene.
        seed: random seed; the same seed writes the same files.
        num_objects: inclusive range of objects per scene.

    Returns:
        dict mapping split name to the info file path written.
    """
    if num_train < 1 or num_val < 1:
        raise ValueError(f'need at least one scene per split, got num_train={num_train}, '
                         f'num_val={num_val}')
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(out_dir, 'points'), exist_ok=True)
    written = {}
    scene_no = 1
    for split, count in (('train', num_train), ('val', num_val)):
        data_list = []
        for _ in range(count):
            idx = f'{scene_no:06d}'
            scene_no += 1
            scene = make_sunrgbd_scene(rng, num_points=num_points, num_objects=num_objects)
            scene['points'].tofile(osp.join(out_dir, 'points', f'{idx}.bin'))
            data_list.append(_data_info(idx, scene))
        metainfo = dict(categories={c: i for i, c in enumerate(SUNRGBD_CLASSES)},
                        dataset='sunrgbd', info_version='1.1')
        path = osp.join(out_dir, f'sunrgbd_infos_{split}.pkl')
        with open(path, 'wb') as f:
            pickle.dump(dict(metainfo=metainfo, data_list=data_list), f)
        written[split] = path
    return written
