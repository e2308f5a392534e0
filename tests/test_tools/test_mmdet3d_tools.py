"""mmdet3d's habits: its own tools/train.py and tools/test.py run our configs (they build
``runner_type`` from mmengine's root registry, before any default scope is set), and our
tools take mmdet3d's flags (--task, --show, --show-dir, --wait-time, --tta, --out)."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CFG = osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')
SEG_CFG = osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')


def test_epcl_runner_is_in_mmengines_root_registry():
    """mmdet3d's tools call mmengine.registry.RUNNERS.build(cfg) with no default scope:
    the root registry must hold the runner itself (mmdet3d's child is not searched)."""
    assert MMENGINE_RUNNERS.module_dict.get('EPCLRunner') is epcl_mmdet3d.engine.EPCLRunner


def _test_cfg(load_tool, *argv):
    test = load_tool('test')
    return test.build_cfg(test.parse_args([DET_CFG, 'ckpt.pth', *argv]))


def test_test_tool_takes_mmdet3d_flags(load_tool, monkeypatch):
    cfg = _test_cfg(load_tool, '--show-dir', 'relshow', '--task', 'lidar_det', '--out',
                    'preds.pkl', '--wait-time', '0.5')
    hook = cfg.default_hooks.visualization
    # relative: the hook places it in work_dir/<timestamp>/, as mmdet3d does
    assert hook.type == 'EPCLVisualizationHook' and hook.out_dir == 'relshow'
    assert hook.show is False and hook.wait_time == 0.5
    assert hook.score_thr is None and hook.max_boxes is None  # the 10 best
    assert cfg.test_evaluator[-1] == dict(type='DumpResults', out_file_path='preds.pkl')
    assert cfg.test_evaluator[0].type == 'EPCLIndoorMetric'  # the det configs' evaluator

    with pytest.raises(ValueError, match='--task lidar_seg draws per-point labels .* '
                       'EPCL3DETRDetector predicts 3D boxes'):
        _test_cfg(load_tool, '--task', 'lidar_seg')
    with pytest.raises(ValueError, match='--task mono_det: EPCL models read point clouds'):
        _test_cfg(load_tool, '--task', 'mono_det')
    with pytest.raises(ValueError, match='--tta: the config defines no tta_model and no '
                       'tta_pipeline'):
        _test_cfg(load_tool, '--tta')
    with pytest.raises(ValueError, match='give a .pkl file'):
        _test_cfg(load_tool, '--out', 'preds.json')
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    if sys.platform.startswith('linux'):
        with pytest.raises(RuntimeError, match='--show opens a window, but this machine has '
                           'no display'):
            _test_cfg(load_tool, '--show')


def test_tta_takes_the_configs_tta_model_as_mmdet3d_does(load_tool, tmp_path):
    cfg_file = tmp_path / 'with_tta.py'
    cfg_file.write_text(f"_base_ = [{SEG_CFG!r}]\n"
                        "tta_model = dict(type='Seg3DTTAModel')\n"
                        "tta_pipeline = [dict(type='LoadPointsFromFile', coord_type='DEPTH', "
                        "load_dim=6, use_dim=[0, 1, 2, 3, 4, 5])]\n")
    test = load_tool('test')
    cfg = test.build_cfg(test.parse_args([str(cfg_file), 'ckpt.pth', '--tta']))
    assert cfg.model.type == 'Seg3DTTAModel'
    assert cfg.model.module.type == 'EPCLEncoderDecoder3D'
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline


def test_visualize_task_seg_on_a_detector_is_a_clear_error(load_tool):
    with pytest.raises(ValueError, match='--task seg draws per-point labels .* '
                       'EPCL3DETRDetector predicts 3D boxes .* use --task det'):
        load_tool('misc/visualize').main([DET_CFG, 'ckpt.pth', '--task', 'seg'])


def test_browse_dataset_task_is_checked_against_the_config(load_tool, tmp_path):
    with pytest.raises(ValueError, match='--task lidar_seg draws per-point labels'):
        load_tool('misc/browse_dataset').main([DET_CFG, '--output-dir', str(tmp_path),
                                               '--task', 'lidar_seg', '--not-show'])


# mmdet3d's tools/train.py and tools/test.py: its wheel ships them in mmdet3d/.mim/tools
# (run as they are); where an install lacks them, their steps in order: no default
# scope, Config.fromfile, the launcher, --cfg-options, --work-dir, load_from for
# testing, then RUNNERS.build(cfg) from mmengine's root registry as runner_type is set.
# Nothing of ours is imported but what the config's custom_imports imports.
_MMDET3D_STEPS = textwrap.dedent('''
    import argparse
    import sys
    from mmengine.config import Config, DictAction
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    mode, config, *argv = sys.argv[1:]
    parser = argparse.ArgumentParser()
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(config)
    cfg.launcher = 'none'
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    if mode == 'test':
        cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    getattr(runner, mode)()
''')


def _mmdet3d_tool(mode, *argv):
    """mmdet3d's tools/<mode>.py in a fresh interpreter (no default scope set)."""
    import mmdet3d
    script = osp.join(osp.dirname(mmdet3d.__file__), '.mim', 'tools', f'{mode}.py')
    command = [script] if osp.isfile(script) else ['-c', _MMDET3D_STEPS, mode]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, *command, *argv], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]
    return out.stdout + out.stderr


@pytest.mark.slow
def test_mmdet3d_train_and_test_run_our_demo_config(tmp_path):
    data = str(tmp_path / 'data') + '/'
    create_synthetic_scannet(data, num_train=2, num_val=1, num_points=10000)
    options = ['--cfg-options', f'train_dataloader.dataset.dataset.data_root={data}',
               f'val_dataloader.dataset.data_root={data}',
               f'test_dataloader.dataset.data_root={data}',
               'train_cfg.max_epochs=1', 'train_dataloader.batch_size=2']
    work = str(tmp_path / 'work')
    printed = _mmdet3d_tool('train', DET_CFG, '--work-dir', work, *options)
    checkpoint = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(checkpoint), printed[-3000:]
    printed = _mmdet3d_tool('test', DET_CFG, checkpoint, '--work-dir',
                            str(tmp_path / 'test'), *options)
    assert 'mAP_0.25' in printed
