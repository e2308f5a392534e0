"""Deterministic few-shot folds for ModelNet40 (K-way N-shot and N-shot over all classes).

A fold is a JSON file::

    {"setting": "5w10s", "fold": 0, "seed": 0, "classes": ["chair", ...],
     "train": ["chair_0004", ...], "test": ["chair_0901", ...]}

``classes`` is the fold's label order: the dataset relabels shapes to 0..K-1.
K-way N-shot (Point-BERT / MaskPoint protocol): K random classes, N random train
shapes of each, ``test_per_class`` (20) random test shapes of each. ``16shot``:
all classes, 16 train shapes each; by default the whole test split (PointCLIP's
protocol), or 20 per class with ``test_per_class=20``.
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from .layout import read_shape_names, read_split, shape_class

# name -> (way or None for all classes, shots, test shapes per class or None for all)
FEW_SHOT_SETTINGS = {
    '5w10s': (5, 10, 20),
    '5w20s': (5, 20, 20),
    '10w10s': (10, 10, 20),
    '10w20s': (10, 20, 20),
    '30w10s': (30, 10, 20),
    '16shot': (None, 16, None),
}


def _group_by_class(shape_ids: Sequence[str],
                    class_names: Sequence[str]) -> Dict[str, List[str]]:
    groups = defaultdict(list)
    for sid in shape_ids:
        groups[shape_class(sid, class_names)].append(sid)
    return groups


def make_fold(train_ids: Sequence[str], test_ids: Sequence[str],
              class_names: Sequence[str], way: Optional[int], shot: int,
              test_per_class: Optional[int], seed: int) -> Dict:
    """Draw one fold.

    Args:
        train_ids / test_ids: shape ids of the train / test split.
        class_names: all class names (label order of the full data set).
        way: number of classes, or None for all classes.
        shot: train shapes per class.
        test_per_class: test shapes per class, or None for all of them.
        seed: the fold's seed; the same arguments give the same fold.

    Returns:
        dict with keys classes, train, test (lists, sorted within each class).

    Raises:
        ValueError: not enough classes or shapes for the setting.
    """
    rng = np.random.default_rng(seed)
    train_groups = _group_by_class(train_ids, class_names)
    test_groups = _group_by_class(test_ids, class_names)
    eligible = [c for c in class_names
                if len(train_groups[c]) >= shot and (
                    test_per_class is None or len(test_groups[c]) >= test_per_class)
                and len(test_groups[c]) > 0]
    way_ = len(class_names) if way is None else way
    if len(eligible) < way_:
        raise ValueError(
            f'{way_}-way {shot}-shot needs {way_} classes with >= {shot} train and '
            f'>= {test_per_class or 1} test shapes; only {len(eligible)} of '
            f'{len(class_names)} classes qualify')
    if way is None:
        classes = list(class_names)
    else:
        picked = rng.choice(len(eligible), size=way, replace=False)
        classes = [eligible[i] for i in picked]
    train, test = [], []
    for c in classes:
        group = sorted(train_groups[c])
        train += sorted(group[i] for i in rng.choice(len(group), shot, replace=False))
        group = sorted(test_groups[c])
        if test_per_class is None:
            test += group
        else:
            test += sorted(group[i] for i in rng.choice(
                len(group), test_per_class, replace=False))
    return dict(classes=classes, train=train, test=test)


def make_setting_folds(data_root: str, setting: str, num_folds: int = 10,
                       seed: int = 0,
                       test_per_class: Optional[int] = -1) -> List[Dict]:
    """All folds of a named setting; fold ``i`` uses seed ``seed * 1000 + i``.

    Args:
        test_per_class: -1 keeps the setting's default (see FEW_SHOT_SETTINGS),
            None uses the whole test split, an int that many shapes per class.
    """
    if setting not in FEW_SHOT_SETTINGS:
        raise ValueError(f"unknown few-shot setting '{setting}'; choose from "
                         f'{sorted(FEW_SHOT_SETTINGS)}')
    way, shot, default_test = FEW_SHOT_SETTINGS[setting]
    if test_per_class == -1:
        test_per_class = default_test
    class_names = read_shape_names(data_root)
    train_ids = read_split(data_root, 'train')
    test_ids = read_split(data_root, 'test')
    folds = []
    for i in range(num_folds):
        fold_seed = seed * 1000 + i
        fold = make_fold(train_ids, test_ids, class_names, way, shot,
                         test_per_class, fold_seed)
        folds.append(dict(setting=setting, fold=i, seed=fold_seed, **fold))
    return folds


def fold_file_name(setting: str, fold: int) -> str:
    """``<setting>/fold_<i>.json``, relative to the folds directory."""
    return osp.join(setting, f'fold_{fold}.json')


def write_fold(path: str, fold: Dict) -> None:
    """Write one fold as JSON."""
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(fold, f, indent=1)


def read_fold(path: str) -> Dict:
    """Read and check one fold file.

    Raises:
        FileNotFoundError / ValueError with the file name.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'few-shot fold file not found: {path}; create folds with '
            'tools/dataset_converters/modelnet40_few_shot_folds.py')
    with open(path, encoding='utf-8') as f:
        fold = json.load(f)
    missing = [k for k in ('classes', 'train', 'test') if k not in fold]
    if missing:
        raise ValueError(f'{path}: fold file lacks {missing}')
    return fold
