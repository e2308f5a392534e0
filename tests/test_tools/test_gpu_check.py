"""tools/gpu_check.py's dry run (what CI runs without a GPU): everything the GPU check
would run imports and builds, the CUDA parts are skipped and said to be, exit status 0."""
import json


def test_gpu_check_dry_run(load_tool, tmp_path, capsys):
    gpu_check = load_tool('gpu_check')
    out = tmp_path / 'gpu_check.json'
    assert gpu_check.main(['--dry-run', '--json', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'DRY RUN (--dry-run): the CUDA parts are skipped' in printed
    report = json.loads(out.read_text())
    assert report['dry_run'] and report['ok']
    parts = report['parts']
    assert set(parts) == {'tests', 'ops', 'steps', 'bench'}
    assert all(part['ok'] for part in parts.values())
    assert parts['tests']['collected'] > 0  # the cuda-marked tests collect
    assert 'tests/test_ops/test_knn.py' in parts['tests']['files']
    assert {'furthest_point_sample', 'mmcv.three_interpolate',
            'points_in_boxes_part'} <= set(parts['ops']['ops'])
    steps = parts['steps']['settings']
    assert steps['det']['batch'] == 8 and steps['det']['points'] == 40000  # full size
    assert set(steps) == {'cls', 'det', 'seg'}
    assert 'cpu/bfloat16' in report['environment']['dtype_support']


def test_a_failed_part_fails_the_check(load_tool, tmp_path, monkeypatch):
    gpu_check = load_tool('gpu_check')

    def broken(dry):
        raise RuntimeError('simulated failure')

    monkeypatch.setattr(gpu_check, 'check_ops', broken)
    out = tmp_path / 'gpu_check.json'
    assert gpu_check.main(['--dry-run', '--parts', 'ops', '--json', str(out)]) == 1
    report = json.loads(out.read_text())
    assert not report['ok'] and 'simulated failure' in report['parts']['ops']['error']
