"""ModelNet40 classification data set (``modelnet40_normal_resampled`` layout)."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmdet3d.registry import DATASETS
from mmengine.dataset import BaseDataset

from .modelnet40 import (
    load_shape_points,
    read_fold,
    read_points_cache,
    read_shape_names,
    read_split,
    shape_class,
    shape_path,
    split_file,
)


@DATASETS.register_module()
class EPCLModelNet40Dataset(BaseDataset):
    """ModelNet40 shapes with their class label.

    Reads the ``modelnet40_normal_resampled`` layout (see
    :mod:`epcl_mmdet3d.datasets.modelnet40.layout`), either shape by shape from
    the text files or from a per-split cache written by
    ``tools/dataset_converters/modelnet40_cache_points.py``.

    Each sample handed to the pipeline is a dict with
    ``points`` (P, 3) or (P, 6) float32 numpy array (x, y, z[, nx, ny, nz]),
    ``gt_label`` (int), ``shape_id``, ``sample_idx``.

    Args:
        data_root: folder of the layout.
        split: 'train' or 'test'.
        use_normals: keep the normal columns (6 channels instead of 3).
        cache_file: a points cache (relative to ``data_root`` or absolute),
            or None to parse the text files.
        fold_file: a few-shot fold (JSON, see
            :mod:`epcl_mmdet3d.datasets.modelnet40.few_shot_folds`); restricts
            the split to the fold's shapes and relabels to the fold's classes.
        **kwargs: forwarded to :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO = dict(classes=None)

    def __init__(self, data_root: str, split: str = 'train',
                 use_normals: bool = False, cache_file: Optional[str] = None,
                 fold_file: Optional[str] = None, **kwargs) -> None:
        self.split = split
        self.use_normals = use_normals
        self.fold = None if fold_file is None else read_fold(
            fold_file if osp.isabs(fold_file) or osp.isfile(fold_file) else
            osp.join(data_root, fold_file))
        self.all_classes = read_shape_names(data_root)
        classes = self.fold['classes'] if self.fold else self.all_classes
        unknown = [c for c in classes if c not in self.all_classes]
        if unknown:
            raise ValueError(f'fold classes {unknown} are not in '
                             f'{data_root}/modelnet40_shape_names.txt')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', tuple(classes))
        if list(metainfo['classes']) != list(classes):
            raise ValueError('metainfo classes differ from the data set classes '
                             f'({len(classes)} read from the data); drop metainfo.classes')
        self.cache_path = None
        if cache_file is not None:
            self.cache_path = cache_file if osp.isabs(cache_file) else osp.join(
                data_root, cache_file)
        self._cache = None
        super().__init__(
            ann_file=osp.basename(split_file(data_root, split)), metainfo=metainfo,
            data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One dict per shape: shape_id, gt_label, and where its points are."""
        classes = list(self.metainfo['classes'])
        if self.fold is not None:
            if self.split not in self.fold:
                raise ValueError(f"fold file has no '{self.split}' list")
            shape_ids = self.fold[self.split]
        else:
            shape_ids = read_split(self.data_root, self.split)
        cache_index = None
        if self.cache_path is not None:
            self._cache = read_points_cache(self.cache_path)
            if list(self._cache['class_names']) != self.all_classes:
                raise ValueError(f'{self.cache_path}: cached class names differ '
                                 'from modelnet40_shape_names.txt; rebuild the cache')
            if self.use_normals and self._cache['points'].shape[-1] < 6:
                raise ValueError(f'{self.cache_path}: no normals cached; set '
                                 'use_normals=False')
            cache_index = {sid: i for i, sid in enumerate(self._cache['shape_ids'])}
        where = f'{split_file(self.data_root, self.split)}: '
        data_list = []
        for sid in shape_ids:
            name = shape_class(sid, self.all_classes, where)
            info = dict(shape_id=sid, gt_label=classes.index(name))
            if cache_index is not None:
                if sid not in cache_index:
                    raise ValueError(f"shape '{sid}' of the {self.split} split is not "
                                     f'in the cache {self.cache_path}; rebuild it')
                info['cache_index'] = cache_index[sid]
            else:
                info['points_path'] = shape_path(self.data_root, sid, name)
            data_list.append(info)
        if not data_list:
            raise ValueError(f'no shapes in the {self.split} split of {self.data_root}')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The sample's dict with its ``points`` loaded, (P, 3) or (P, 6)."""
        info = super().get_data_info(idx)
        channels = 6 if self.use_normals else 3
        if 'cache_index' in info:
            points = np.array(self._cache['points'][info['cache_index'], :, :channels])
        else:
            points = load_shape_points(info['points_path'], self.use_normals)
        info['points'] = points
        return info
