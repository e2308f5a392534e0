"""House rules the layout promises, checked over the whole package."""
import ast
import glob
import os.path as osp
import subprocess
import sys

import torch.nn as nn
from mmdet3d.registry import MODELS
from mmengine.model import BaseDataPreprocessor, BaseModule

import epcl_mmdet3d  # noqa: F401

PKG = osp.dirname(epcl_mmdet3d.__file__)


def test_every_registered_module_of_ours_is_a_base_module():
    """So that an ``init_cfg`` works on every one of them, as on mmdet3d's own."""
    ours = {name: cls for name, cls in MODELS.module_dict.items()
            if getattr(cls, '__module__', '').startswith('epcl_mmdet3d.')}
    assert len(ours) >= 15  # the filter found our modules
    # data preprocessors hold no weights; mmengine's own are no BaseModules either
    plain = sorted(name for name, cls in ours.items()
                   if isinstance(cls, type) and issubclass(cls, nn.Module)
                   and not issubclass(cls, (BaseModule, BaseDataPreprocessor)))
    assert not plain, f'registered nn.Modules that are not BaseModules: {plain}'


def test_every_package_init_has_one_sorted_all():
    for path in sorted(glob.glob(osp.join(PKG, '**', '__init__.py'), recursive=True)):
        tree = ast.parse(open(path, encoding='utf-8').read())
        alls = [node for node in tree.body
                if isinstance(node, (ast.Assign, ast.AugAssign))
                and '__all__' in [getattr(t, 'id', None) for t in
                                  ([node.target] if isinstance(node, ast.AugAssign)
                                   else node.targets)]]
        rel = osp.relpath(path, PKG)
        assert len(alls) == 1, f'{rel}: {len(alls)} __all__ statements, want one'
        names = [elt.value for elt in alls[0].value.elts]
        assert names == sorted(names), f'{rel}: __all__ is not sorted'


def test_importing_the_plugin_leaves_matplotlib_backend_alone(tmp_path):
    """A user's interactive backend survives importing and using the renderers."""
    code = (
        'import matplotlib\n'
        "matplotlib.use('svg')\n"
        'import numpy as np\n'
        'import epcl_mmdet3d\n'
        'from epcl_mmdet3d.visualization import render_det_scene\n'
        'pts = np.random.default_rng(0).random((200, 3))\n'
        f"render_det_scene(pts, {str(tmp_path / 'a.png')!r})\n"
        'print(matplotlib.get_backend())\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == 'svg'
    assert (tmp_path / 'a.png').stat().st_size > 1000


def test_importing_the_plugin_leaves_mmcv_ops_alone():
    """The CPU branch of mmcv's point ops is opt-in (a config's custom_imports)."""
    code = ('import importlib\n'
            "m = importlib.import_module('mmcv.ops.furthest_point_sample')\n"
            'before = m.FurthestPointSampling.forward\n'
            'import epcl_mmdet3d\n'
            'assert m.FurthestPointSampling.forward is before, "patched on import"\n'
            'import epcl_mmdet3d.ops.enable_mmcv_cpu_fallback\n'
            'assert m.FurthestPointSampling.forward is not before, "opt-in did nothing"\n')
    subprocess.run([sys.executable, '-c', code], check=True)
