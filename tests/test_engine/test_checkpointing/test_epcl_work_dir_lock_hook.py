"""EPCLWorkDirLockHook with two processes: a second training in a work dir in use fails at
its start naming the first; a lock left by a killed run is taken over, with a warning."""
import glob
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
from tiny_cls_run import make_cfg, make_data

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine import EPCLWorkDirLockHook, build_runner

SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'tiny_cls_run.py')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mn') / 'syn')
    make_data(root)
    return root


def _start_first_run(data_root, work, tmp_path):
    """Another process trains in ``work`` and pauses after its first iteration."""
    ready, go = str(tmp_path / 'ready'), str(tmp_path / 'go')
    first = subprocess.Popen([sys.executable, SCRIPT, data_root, work, ready, go],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not osp.exists(ready):
        if first.poll() is not None or time.time() > deadline:
            first.kill()
            pytest.fail(f'the first run did not start: {first.stderr.read().decode()[-3000:]}')
        time.sleep(0.2)
    return first, go


def _train(data_root, work):
    runner = build_runner(make_cfg(data_root, work, max_epochs=1))
    runner.train()
    return runner


def _log(runner):
    return open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()


def test_second_run_in_a_work_dir_in_use_fails_at_start(data_root, tmp_path):
    work = str(tmp_path / 'work')
    first, go = _start_first_run(data_root, work, tmp_path)
    try:
        runner = build_runner(make_cfg(data_root, work, max_epochs=1))
        with pytest.raises(RuntimeError,
                           match=rf'(?s)work dir .*work is in use by another training run '
                                 rf'\(pid {first.pid} on host .*, started .*tiny_cls_run\.py.*'
                                 r'another --work-dir'):
            runner.train()
        assert runner.iter == 0  # failed before its first iteration
    finally:
        open(go, 'w').close()
        assert first.wait(timeout=240) == 0
    assert not osp.exists(osp.join(work, 'train.lock'))  # removed at the end of the run
    runner = _train(data_root, work)  # the work dir is free again: no error, no warning
    assert 'took over' not in _log(runner)


def test_stale_lock_of_a_killed_run_is_taken_over(data_root, tmp_path):
    work = str(tmp_path / 'work')
    first, _ = _start_first_run(data_root, work, tmp_path)
    first.kill()
    first.wait(timeout=60)
    assert osp.exists(osp.join(work, 'train.lock'))  # left behind
    runner = _train(data_root, work)
    assert f'took over the stale lock {osp.realpath(work)}' in _log(runner)
    assert f'pid {first.pid} on host' in _log(runner)


def test_a_run_of_this_process_that_failed_does_not_block_the_next(data_root, tmp_path):
    work = str(tmp_path / 'work')
    runner = build_runner(make_cfg(data_root, work, max_epochs=1))
    hook = next(h for h in runner.hooks if isinstance(h, EPCLWorkDirLockHook))
    hook.before_train(runner)  # held, as by a run that raised before after_train
    assert osp.exists(osp.join(work, 'train.lock'))
    runner = _train(data_root, work)
    assert 'earlier run of this process' in _log(runner)
    assert not os.listdir(work).count('train.lock')
