"""Writes rooms to disk in the layout mmdetection3d 1.4's S3DIS converter makes.

``tools/create_data.py s3dis`` in mmdetection3d 1.4 produces, under the data
root::

    points/Area_{a}_{room}.bin          float32 (N, 6): xyz, RGB in [0, 255]
    instance_mask/Area_{a}_{room}.bin   int64 (N,), instances from 1
    semantic_mask/Area_{a}_{room}.bin   int64 (N,), S3DIS class ids 0..12
    s3dis_infos_Area_{a}.pkl            v2 info file (metainfo + data_list)
    seg_info/Area_{a}_resampled_scene_idxs.npy   int32, rooms repeated by size
    seg_info/Area_{a}_label_weight.npy           float32 (13,)

This module writes the same files from :class:`SyntheticRoom` objects, with
the same dtypes, keys and formulas (re-implemented here, not imported: the
converter lives in mmdetection3d's ``tools/``, which is not a package).
"""
import os
import os.path as osp
import warnings
from typing import Dict, List, Sequence

import mmengine
import numpy as np

from .s3dis import S3DIS_CLASSES, SyntheticRoom, generate_room

# The converter's detection classes: S3DIS ids 7..11 become box labels 0..4.
_DET_CLASSES = ('table', 'chair', 'sofa', 'bookcase', 'board')
_DET_CAT_IDS = [S3DIS_CLASSES.index(name) for name in _DET_CLASSES]


def _instances(room: SyntheticRoom) -> List[dict]:
    """Axis-aligned boxes (centre, size) of the furniture instances.

    Same rule as the converter: an instance whose semantic class is one of the
    five furniture classes becomes ``dict(bbox_3d=[x, y, z, dx, dy, dz],
    bbox_label_3d=label)``, for every instance id from 1 to the largest.
    """
    xyz = room.points[:, :3]
    out = []
    for ins_id in np.unique(room.instance_mask):
        sel = room.instance_mask == ins_id
        cat = int(room.semantic_mask[sel][0])
        if cat not in _DET_CAT_IDS:
            continue
        lo, hi = xyz[sel].min(axis=0), xyz[sel].max(axis=0)
        box = np.concatenate([(lo + hi) / 2, hi - lo])
        out.append(
            dict(bbox_3d=box.tolist(),
                 bbox_label_3d=np.int64(_DET_CAT_IDS.index(cat))))
    return out


def scene_idxs_and_label_weight(semantic_masks: Sequence[np.ndarray],
                                num_points: int = 4096,
                                num_classes: int = 13):
    """Resampled scene indices and class weights, as the converter computes.

    Each room is repeated ``round(share_of_points * total_points /
    num_points)`` times, so big rooms are sampled more often; the class
    weight is ``1 / log(1.2 + class_frequency)`` (PointNet++'s weighting).

    Args:
        semantic_masks: one (N_i,) int mask per room, class ids in
            [0, num_classes).
        num_points: points per training block.
        num_classes: number of classes.

    Returns:
        tuple: scene_idxs (R,) int32 and label_weight (num_classes,) float32.
    """
    sizes = np.array([len(m) for m in semantic_masks], dtype=np.float64)
    counts = np.zeros(num_classes + 1)  # the last bin is the ignore index
    for mask in semantic_masks:
        counts += np.histogram(mask, range(num_classes + 2))[0]
    share = sizes / sizes.sum()
    num_iter = int(sizes.sum() / float(num_points))
    scene_idxs = []
    for idx, p in enumerate(share):
        scene_idxs.extend([idx] * int(round(p * num_iter)))
    freq = counts[:-1].astype(np.float32)
    freq = freq / freq.sum()
    label_weight = (1.0 / np.log(1.2 + freq)).astype(np.float32)
    return np.array(scene_idxs).astype(np.int32), label_weight


def write_s3dis_area(data_root: str, area: int,
                     rooms: Dict[str, SyntheticRoom],
                     num_points: int = 4096) -> str:
    """Writes one area's rooms, its info file and its seg_info files.

    Args:
        data_root: output root (created if missing).
        area: area number (1..6).
        rooms: room name (e.g. ``'office_1'``) -> room.
        num_points: block size used for the resampled scene indices.

    Returns:
        Path of the written ``s3dis_infos_Area_{area}.pkl``.
    """
    if not rooms:
        raise ValueError(f'Area_{area} has no rooms; give at least one')
    split = f'Area_{area}'
    for sub in ('points', 'instance_mask', 'semantic_mask', 'seg_info'):
        os.makedirs(osp.join(data_root, sub), exist_ok=True)
    data_list = []
    for i, (name, room) in enumerate(rooms.items()):
        fname = f'{split}_{name}.bin'
        room.points.astype(np.float32).tofile(
            osp.join(data_root, 'points', fname))
        room.instance_mask.astype(np.int64).tofile(
            osp.join(data_root, 'instance_mask', fname))
        room.semantic_mask.astype(np.int64).tofile(
            osp.join(data_root, 'semantic_mask', fname))
        data_list.append(
            dict(sample_idx=i,
                 lidar_points=dict(num_pts_feats=6, lidar_path=fname),
                 instances=_instances(room),
                 pts_semantic_mask_path=fname,
                 pts_instance_mask_path=fname))
    metainfo = dict(categories={c: i for i, c in enumerate(_DET_CLASSES)},
                    dataset='s3dis', info_version='1.1')
    info_path = osp.join(data_root, f's3dis_infos_{split}.pkl')
    mmengine.dump(dict(metainfo=metainfo, data_list=data_list), info_path)

    scene_idxs, label_weight = scene_idxs_and_label_weight(
        [r.semantic_mask for r in rooms.values()], num_points=num_points)
    never = [n for i, n in enumerate(rooms) if not np.any(scene_idxs == i)]
    if never:
        warnings.warn(
            f'{split}: rooms {never} are too small for even one {num_points}-point '
            'block in the resampled scene index (as the converter computes it), so training '
            'never samples them; they are still tested whole. Generate larger or '
            'denser rooms, or lower num_points, to train on them')
    np.save(osp.join(data_root, 'seg_info',
                     f'{split}_resampled_scene_idxs.npy'), scene_idxs)
    np.save(osp.join(data_root, 'seg_info', f'{split}_label_weight.npy'),
            label_weight)
    return info_path


def create_synthetic_s3dis(data_root: str,
                      rooms_per_area: int = 2,
                      areas: Sequence[int] = (1, 2, 3, 4, 5, 6),
                      seed: int = 0,
                      density: float = 120.0,
                      num_points: int = 4096) -> List[str]:
    """Generates a small synthetic S3DIS data set.

    Args:
        data_root: output root.
        rooms_per_area: rooms generated per area.
        areas: areas to write (the S3DIS configs train on 1, 2, 3, 4, 6 and
            test on 5).
        seed: base seed; room ``k`` of area ``a`` uses ``seed*1000+a*100+k``.
        density: surface density in points per square metre.
        num_points: block size for the resampled scene indices.

    Returns:
        The info file paths, one per area.
    """
    if rooms_per_area < 1:
        raise ValueError(f'rooms_per_area must be >= 1, got {rooms_per_area}')
    paths = []
    for area in areas:
        rooms = {
            f'office_{k + 1}': generate_room(
                seed * 1000 + area * 100 + k, density=density)
            for k in range(rooms_per_area)
        }
        paths.append(write_s3dis_area(data_root, area, rooms, num_points))
    return paths
