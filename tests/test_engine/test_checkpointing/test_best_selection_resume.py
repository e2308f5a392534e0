"""A kill around the best checkpoint's write, then --resume: the same best checkpoint and
model_selection.json as an uninterrupted run."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from best_selection_run import FAULTS, Killed, build, inject

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('straight')
    build(work_dir).train()
    return work_dir


def _kill(*args):
    raise Killed


def _outcome(work_dir):
    """What must not depend on a kill: the files, the best checkpoint, the selection."""
    files = sorted(n for n in os.listdir(work_dir) if n.endswith('.pth'))
    best = [n for n in files if n.startswith('best_')]
    assert len(best) == 1, files
    ckpt = torch.load(osp.join(work_dir, best[0]), map_location='cpu')
    latest = torch.load(osp.join(work_dir, 'epoch_3.pth'), map_location='cpu')
    selection = json.loads(open(osp.join(work_dir, 'model_selection.json')).read())
    return dict(files=files, best_weights=ckpt['state_dict'], best_meta=(
        ckpt['meta']['epoch'], ckpt['meta']['iter']), selection=selection,
        best_score=latest['message_hub']['runtime_info']['best_score'],
        partial=[n for n in os.listdir(work_dir) if n.endswith('.partial')])


def _assert_same(resumed, straight):
    assert resumed['files'] == straight['files'] == ['best_score_epoch_2.pth', 'epoch_3.pth']
    assert resumed['best_meta'] == straight['best_meta'] == (2, 4)
    assert torch.equal(resumed['best_weights']['w'], straight['best_weights']['w'])
    assert resumed['selection'] == straight['selection']
    assert (resumed['selection']['best']['epoch'], resumed['selection']['last']['epoch']) == (
        2, 3)
    assert resumed['best_score'] == straight['best_score']
    assert resumed['partial'] == []


@pytest.mark.parametrize('fault', FAULTS)
def test_kill_then_resume_equals_straight(tmp_path, straight, monkeypatch, fault):
    hooks = inject(fault, _kill, monkeypatch.setattr)
    with pytest.raises(Killed):
        build(tmp_path, custom_hooks=hooks).train()
    monkeypatch.undo()
    build(tmp_path, resume=True).train()
    _assert_same(_outcome(tmp_path), _outcome(straight))


def test_hard_kill_during_the_best_write(tmp_path, straight, capsys):
    """The process dies (os._exit) halfway through best_score_epoch_2.pth."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT, osp.dirname(__file__), os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run([sys.executable, osp.join(osp.dirname(__file__),
                                                    'best_selection_run.py'),
                           str(tmp_path), 'best_write'], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 9, done.stderr[-2000:]
    assert [n for n in os.listdir(tmp_path) if n.endswith('.partial')]
    assert 'best_score_epoch_1.pth' in os.listdir(tmp_path)  # the previous best survives
    capsys.readouterr()
    build(tmp_path, resume=True).train()
    out = capsys.readouterr().out
    assert 'removed 1 unfinished checkpoint write' in out
    assert 'validating now' in out
    _assert_same(_outcome(tmp_path), _outcome(straight))
