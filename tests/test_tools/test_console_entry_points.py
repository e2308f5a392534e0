"""The wheel's console scripts (epcl-train, epcl-test, epcl-infer) and the repository's
tools/ scripts are one implementation: the modules of ``epcl_mmdet3d.tools``."""
import importlib
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


@pytest.mark.skipif(tomllib is None, reason='reads pyproject.toml with tomllib (3.11+)')
def test_console_scripts_are_the_tools_mains(load_tool):
    with open(osp.join(ROOT, 'pyproject.toml'), 'rb') as f:
        scripts = tomllib.load(f)['project']['scripts']
    assert set(scripts) == {'epcl-train', 'epcl-test', 'epcl-infer'}
    for script, target in scripts.items():
        module_name, func = target.split(':')
        module = importlib.import_module(module_name)
        tool = load_tool(script.split('-')[1])  # tools/train.py, ...
        assert getattr(module, func) is tool.main, script


def test_python_m_runs_a_tool(tmp_path):
    out = subprocess.run([sys.executable, '-m', 'epcl_mmdet3d.tools.infer', '--help'],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '--seed' in out.stdout and '--score-thr' in out.stdout
