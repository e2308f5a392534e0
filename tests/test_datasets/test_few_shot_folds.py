"""Few-shot folds: deterministic, class-balanced, disjoint, saved and read back."""
import pytest

from epcl_mmdet3d.datasets.modelnet40 import make_setting_folds, read_fold, shape_class, write_fold


@pytest.fixture(scope='module')
def split_root(tmp_path_factory):
    """12 classes, 25 train / 22 test ids each; the folds only read the lists."""
    root = tmp_path_factory.mktemp('fewshot')
    names = [f'class_{c}' for c in 'abcdefghijkl']
    (root / 'modelnet40_shape_names.txt').write_text('\n'.join(names) + '\n')
    (root / 'modelnet40_train.txt').write_text(
        '\n'.join(f'{n}_{i:04d}' for n in names for i in range(25)) + '\n')
    (root / 'modelnet40_test.txt').write_text(
        '\n'.join(f'{n}_{i:04d}' for n in names for i in range(100, 122)) + '\n')
    return str(root), names


@pytest.mark.parametrize('setting,way,shot', [('5w10s', 5, 10), ('10w20s', 10, 20)])
def test_folds_are_deterministic_and_balanced(split_root, setting, way, shot):
    root, names = split_root
    folds = make_setting_folds(root, setting, num_folds=4, seed=3)
    again = make_setting_folds(root, setting, num_folds=4, seed=3)
    assert folds == again
    assert make_setting_folds(root, setting, num_folds=4, seed=4) != folds
    assert len({tuple(f['classes']) for f in folds}) > 1  # folds differ
    for fold in folds:
        assert len(fold['classes']) == len(set(fold['classes'])) == way
        for split, per_class in (('train', shot), ('test', 20)):
            ids = fold[split]
            assert len(ids) == len(set(ids)) == way * per_class
            counts = {c: 0 for c in fold['classes']}
            for sid in ids:
                counts[shape_class(sid, names)] += 1
            assert set(counts.values()) == {per_class}


def test_all_class_setting_and_too_few_classes(split_root):
    root, names = split_root
    fold = make_setting_folds(root, '16shot', num_folds=1)[0]
    assert fold['classes'] == names and len(fold['train']) == 16 * 12
    assert len(fold['test']) == 22 * 12  # the whole test split
    with pytest.raises(ValueError, match='30-way 10-shot needs 30 classes'):
        make_setting_folds(root, '30w10s', num_folds=1)


def test_fold_file_round_trip(split_root, tmp_path):
    root, _ = split_root
    fold = make_setting_folds(root, '5w10s', num_folds=1)[0]
    write_fold(str(tmp_path / 'f.json'), fold)
    assert read_fold(str(tmp_path / 'f.json')) == fold
    with pytest.raises(FileNotFoundError, match='modelnet40_few_shot_folds'):
        read_fold(str(tmp_path / 'nope.json'))
