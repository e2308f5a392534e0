"""Build hook only (the project's metadata is in pyproject.toml).

Copies ``configs/`` into the wheel as ``epcl_mmdet3d/.mim/configs``, where OpenMMLab
packages keep theirs, so that ``'epcl_mmdet3d::<config>'`` resolves after a
non-editable install (see ``epcl_mmdet3d/utils/config_paths.py``, which resolves our
paths itself). The ``.mim/model-index.yml`` that OpenMMLab tools (mim, mmengine) read
lists no checkpoints: we publish none. An editable install reads ``configs/`` in place.
"""
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))


class BuildPyWithConfigs(build_py):
    """``build_py`` that also places the configs under ``epcl_mmdet3d/.mim``."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        mim = osp.join(self.build_lib, 'epcl_mmdet3d', '.mim')
        shutil.rmtree(mim, ignore_errors=True)
        shutil.copytree(osp.join(ROOT, 'configs'), osp.join(mim, 'configs'),
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        with open(osp.join(mim, 'model-index.yml'), 'w') as f:
            f.write('# no published checkpoints: configs resolve from .mim/configs\n'
                    'Import: []\n')


setup(cmdclass={'build_py': BuildPyWithConfigs})
