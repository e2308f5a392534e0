"""tools/install_stack.sh's bookkeeping, without installing anything: relative paths are
made absolute against the caller's directory, a failure names its step, and no stamp
survives a failed run (so `make` reruns the install)."""
import os
import os.path as osp
import subprocess

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'install_stack.sh')


def test_failed_step_is_named_and_the_stamp_removed(tmp_path):
    venv = tmp_path / 'rel' / 'venv'
    venv.mkdir(parents=True)
    stamp = venv / '.epcl-installed'
    stamp.write_text('from an earlier, successful install\n')
    # no bin/python in the venv: the script creates it with PYTHON, which does not exist
    env = dict(os.environ, EPCL_VENV='rel/venv', EPCL_CACHE_DIR='rel/cache',
               PYTHON='./no-such-python')
    out = subprocess.run(['bash', SCRIPT], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0
    log = out.stdout
    assert (f'FAILED (exit code 127) during: creating the virtual environment {venv} '
            f'with {tmp_path}/./no-such-python') in log, log
    assert not stamp.exists()  # a half-made environment is never marked installed
    assert not (tmp_path / 'rel' / 'cache').exists()
