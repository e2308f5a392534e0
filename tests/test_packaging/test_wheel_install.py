"""The wheel installs into an environment that is not the project's and works from
outside the repository: package data (the tiny CLIP's open_clip config), the configs
(``epcl_mmdet3d::...``) and the console scripts ship inside it, the declared ranges accept
the stack that is already there (nothing to rebuild), and a user's config inheriting a
shipped one builds and trains a step, its runner built as mmdet3d's tools/train.py builds
it (mmengine's root registry, no default scope)."""
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# what a wheel is built from never needs these (and data/ can hold gigabytes)
_NOT_SOURCES = ('.git', '.venv', 'data', 'work_dirs', 'build', 'dist', 'checkpoints',
                '__pycache__', '*.egg-info', '.pytest_cache', '*.pyc')

# run inside the throwaway environment, from a folder outside the repository
_CHECK = textwrap.dedent('''
    import importlib.metadata as md
    import os.path as osp
    import sys

    from packaging.requirements import Requirement

    import epcl_mmdet3d
    from epcl_mmdet3d.utils import resolve_config

    env = sys.argv[1]
    assert epcl_mmdet3d.__file__.startswith(env), epcl_mmdet3d.__file__
    # every declared requirement is met by what the environment already holds
    for line in md.requires('epcl_mmdet3d'):
        req = Requirement(line)
        if req.marker is not None:
            continue  # optional extras
        version = md.version(req.name)
        assert req.specifier.contains(version, prereleases=True), (line, version)

    from mmengine.config import Config
    from mmengine.registry import RUNNERS, DefaultScope, init_default_scope
    from mmdet3d.registry import MODELS

    from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet

    # a user's config inheriting a shipped task config (no folder after '::'): it
    # builds and trains one step; the runner is built as mmdet3d's tools/train.py does
    create_synthetic_scannet('data', num_train=2, num_val=1, num_points=10000)
    with open('my_demo.py', 'w') as f:
        f.write("_base_ = ['epcl_mmdet3d::epcl_scannet_det_demo.py']\\n"
                "data_root = 'data/'\\n"
                "train_dataloader = dict(batch_size=2, dataset=dict(dataset=dict("
                "data_root=data_root)))\\n"
                "val_dataloader = dict(dataset=dict(data_root=data_root))\\n"
                "test_dataloader = val_dataloader\\n"
                "train_cfg = dict(max_epochs=1)\\n"
                "work_dir = 'work'\\n")
    cfg = Config.fromfile('my_demo.py')
    assert cfg.model['_scope_'] == 'mmdet3d', cfg.model.get('_scope_')
    assert DefaultScope.get_current_instance() is None
    runner = RUNNERS.build(cfg)
    runner.train()
    assert runner.iter == 1, runner.iter
    print('inheriting config trained', runner.iter, 'step with', type(runner).__name__)

    # a shipped task config, by the plugin's scope
    path = resolve_config('epcl_mmdet3d::epcl_scannet_det_demo.py')
    assert path.startswith(env) and '.mim' in path, path
    cfg = Config.fromfile(path)
    init_default_scope('mmdet3d')
    model = MODELS.build(cfg.model)
    print('built', type(model).__name__, model.backbone.clip.arch)

    # a user's own config inheriting the plugin's bases through mmengine's '::'
    with open('my_config.py', 'w') as f:
        f.write("_base_ = ['epcl_mmdet3d::_base_/models/epcl_vit-b16.py',\\n"
                "          'epcl_mmdet3d::_base_/schedules/epcl_adamw.py']\\n")
    mine = Config.fromfile('my_config.py')
    assert mine.model.backbone.clip.type == 'FrozenCLIPBackbone'
    assert mine.optim_wrapper.constructor == 'EPCLOptimWrapperConstructor'
    print('user config ok')
''')


@pytest.mark.slow
def test_wheel_installs_and_builds_the_demo_detector_outside_the_repo(tmp_path):
    # build from a copy: an in-tree build writes build/ and *.egg-info into the sources
    src = tmp_path / 'src'
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
    dist = tmp_path / 'dist'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                    '--no-build-isolation', '-w', str(dist), str(src)], check=True)
    [wheel] = list(dist.glob('epcl_mmdet3d-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ('epcl_mmdet3d/models/backbones/clip_configs/EPCL-ViT-Tiny.json',
                    'epcl_mmdet3d/.mim/configs/epcl_scannet_det_demo.py',
                    'epcl_mmdet3d/.mim/configs/_base_/default_runtime.py',
                    'epcl_mmdet3d/.mim/model-index.yml'):
        assert shipped in names, f'{shipped} is missing from {wheel.name}'

    # a throwaway environment layered on the project's: its own site-packages first
    # (where the wheel goes), then the project's (torch, mmcv, mmdet3d, ...) through a
    # .pth path line, which does not run the project's own .pth hooks (so its editable
    # epcl_mmdet3d is not importable there)
    env = tmp_path / 'env'
    subprocess.run([sys.executable, '-m', 'venv', str(env)], check=True)
    env_python = env / 'bin' / 'python'
    env_site = subprocess.run(
        [str(env_python), '-c', 'import site; print(site.getsitepackages()[0])'],
        check=True, capture_output=True, text=True).stdout.strip()
    with open(osp.join(env_site, 'project_stack.pth'), 'w') as f:
        f.write('\n'.join(site.getsitepackages()) + '\n')
    subprocess.run([str(env_python), '-m', 'pip', 'install', '-q', '--no-index',
                    '--no-deps', '--ignore-installed', str(wheel)], check=True)

    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    clean_env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run([str(env_python), '-c', _CHECK, str(env)], cwd=elsewhere,
                         env=clean_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'built EPCL3DETRDetector EPCL-ViT-Tiny' in out.stdout
    assert 'user config ok' in out.stdout
    assert 'inheriting config trained 1 step with EPCLRunner' in out.stdout
    # the console scripts
    for script in ('epcl-train', 'epcl-test', 'epcl-infer'):
        run = subprocess.run([str(env / 'bin' / script), '--help'], cwd=elsewhere,
                             env=clean_env, capture_output=True, text=True)
        assert run.returncode == 0 and 'usage:' in run.stdout, script + run.stderr
