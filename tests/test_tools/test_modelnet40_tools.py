"""The ModelNet40 tools: synthetic set -> cache -> folds -> few-shot runs."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets import EPCLModelNet40Dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


_TOOLS = dict(create_synthetic='synthetic_data/create_synthetic_modelnet40',
              cache_points='dataset_converters/modelnet40_cache_points',
              make_few_shot_folds='dataset_converters/modelnet40_few_shot_folds',
              run_few_shot='analysis_tools/run_few_shot')


def _run_tool(load_tool, name, argv, monkeypatch):
    module = load_tool(_TOOLS[name])
    monkeypatch.setattr(sys, 'argv', [module.__file__] + argv)
    module.main()


def test_synthetic_cache_and_folds(load_tool, tmp_path, monkeypatch):
    root = str(tmp_path / 'syn')
    _run_tool(load_tool, 'create_synthetic', [root, '--classes', 'sphere', 'cube', 'cone',
                                   '--train-per-class', '16', '--test-per-class', '2',
                                   '--num-points', '80'], monkeypatch)
    _run_tool(load_tool, 'cache_points', [root, '--num-points', '40', '--sampling', 'fps'],
              monkeypatch)
    cached = EPCLModelNet40Dataset(root, split='test', use_normals=True,
                                   cache_file='modelnet40_test_40pts_fps.npz')
    text = EPCLModelNet40Dataset(root, split='test', use_normals=True)
    for i in range(len(text)):
        c, t = cached[i]['points'], text[i]['points']
        assert c.shape == (40, 6)
        np.testing.assert_array_equal(c[0], t[0])  # FPS starts at point 0
        assert {tuple(r) for r in c} <= {tuple(r) for r in t}
    _run_tool(load_tool, 'make_few_shot_folds', [root, '--settings', '16shot', '--num-folds', '2'],
              monkeypatch)
    fold = json.load(open(osp.join(root, 'few_shot_folds', '16shot', 'fold_1.json')))
    assert fold['classes'] == ['sphere', 'cube', 'cone'] and len(fold['train']) == 48
    assert len(fold['test']) == 6 and fold['seed'] == 1
    with pytest.raises(ValueError, match='5-way 10-shot needs 5 classes'):
        _run_tool(load_tool, 'make_few_shot_folds', [root, '--settings', '5w10s'], monkeypatch)


@pytest.mark.slow
def test_run_few_shot_prints_mean_and_std(load_tool, tmp_path, monkeypatch, capsys,
                                          tiny_clip_checkpoint):
    from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40
    root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(root, train_per_class=10, test_per_class=20,
                             num_points=128)
    _run_tool(load_tool, 'make_few_shot_folds', [root, '--settings', '5w10s', '--num-folds', '2'],
              monkeypatch)
    config = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')
    opts = [f'model.backbone.clip.pretrained={tiny_clip_checkpoint}',
            'model.backbone.tokenizer.num_tokens=16',
            'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'param_scheduler.1.T_max=1', 'default_hooks.checkpoint.interval=-1']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{key}.dataset.data_root={root}',
                 f'{key}.dataset.pipeline.0.num_points=128']
    _run_tool(load_tool, 'run_few_shot', [config, '--folds-dir', osp.join(root, 'few_shot_folds'),
                               '--setting', '5w10s', '--work-dir', str(tmp_path / 'w'),
                               '--cfg-options'] + opts, monkeypatch)
    out = capsys.readouterr().out
    assert '| 5w10s | 2 |' in out
    summary = json.load(open(tmp_path / 'w' / 'results.json'))
    assert set(summary['folds']) == {'fold_0', 'fold_1'}
    accs = list(summary['folds'].values())
    assert summary['mean'] == pytest.approx(np.mean(accs))
    assert all(0 <= a <= 100 for a in accs)
