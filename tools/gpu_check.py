"""Everything a GPU machine should confirm, in one command (what `make gpu-check` runs).

    python tools/gpu_check.py [--json OUT] [--dry-run] [--parts tests ops steps bench]

Four parts, under 10 minutes on one H100-class GPU:

- ``tests``: the ``cuda``-marked tests (``pytest -m cuda`` over the test files that
  carry the marker).
- ``ops``: every sampling op's CUDA path (mmcv's kernels) against our CPU path on the
  same inputs: ``epcl_mmdet3d.ops`` (FPS, kNN, ball query, three_nn /
  three_interpolate, gather) and mmcv's own point ops with our CPU fallback installed
  (FPS, FPS with distances, gather_points, ball_query, grouping_operation, three_nn,
  three_interpolate, knn, points_in_boxes_all / part); outputs and, where the op is
  differentiable, input gradients.
- ``steps``: one full-size training step of each task config (cls, det, seg; the
  config's batch and point counts, ViT-B random weights, nothing downloaded) in
  float32 and with AMP (float16 autocast with dynamic loss scale, mmengine's default,
  and bfloat16), with the step time and ``torch.cuda.max_memory_allocated``.
- ``bench``: ``benchmarks/bench_train_step.py --scale 1.0`` (its peak memory is
  ``max_memory_allocated`` on CUDA).

The JSON (``--json``) is rewritten after every part, so a run cut short keeps what it
measured. Without CUDA, or with ``--dry-run``, it checks only that everything it would
run imports and builds (the test files collect, the ops run on CPU, the three
full-size models and their optimizers build, the benchmark starts), says which parts
were skipped, and exits 0 when that worked. Exit status 1: a check failed.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PARTS = ('tests', 'ops', 'steps', 'bench')
SETTINGS = ('cls', 'det', 'seg')


# ------------------------------------------------------------------------ environment
def environment() -> dict:
    """The machine, the stack, and which reduced dtypes run fast here."""
    from epcl_mmdet3d.utils.dtype_support import probe_dtype_support
    info = dict(torch=torch.__version__, cuda=torch.cuda.is_available(),
                threads=torch.get_num_threads(), python=sys.version.split()[0])
    try:
        import mmcv
        import mmcv.ops
        info['mmcv'] = mmcv.__version__
        info['mmcv_compiling_cuda'] = mmcv.ops.get_compiling_cuda_version()
    except ImportError as err:
        info['mmcv'] = f'mmcv.ops does not import: {err}'
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
        info['capability'] = '.'.join(map(str, torch.cuda.get_device_capability()))
    info['dtype_support'] = {}
    for device in devices:
        for dtype in (torch.bfloat16, torch.float16):
            found = probe_dtype_support(device, dtype)
            info['dtype_support'][f'{device}/{str(dtype)[6:]}'] = dict(
                fast=found.fast, native=found.native, cost_ratio=found.cost_ratio,
                reason=found.reason)
    return info


# ------------------------------------------------------------------------ tests
def cuda_test_files() -> list:
    """Test files that carry the ``cuda`` marker."""
    found = []
    for folder, _, files in os.walk(osp.join(ROOT, 'tests')):
        for name in sorted(files):
            if name.startswith('test_') and name.endswith('.py'):
                path = osp.join(folder, name)
                with open(path) as f:
                    if 'mark.cuda' in f.read():
                        found.append(osp.relpath(path, ROOT))
    return sorted(found)


def check_tests(dry: bool) -> dict:
    """``pytest -m cuda`` (dry: collect only)."""
    files = cuda_test_files()
    cmd = [sys.executable, '-m', 'pytest', '-q', '-m', 'cuda', '-p', 'no:cacheprovider',
           *files] + (['--collect-only'] if dry else ['-rfE'])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH',
                                                                            '')]))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=400)
    lines = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    summary = lines[-1] if lines else proc.stderr.strip()[-500:]
    result = dict(files=files, returncode=proc.returncode, summary=summary)
    if dry:  # '12/400 tests collected (388 deselected) in 5.0s'
        collected = re.search(r'(\d+)(?:/\d+)? tests? collected', summary)
        result['collected'] = int(collected.group(1)) if collected else 0
        result['ok'] = proc.returncode == 0 and result['collected'] > 0
    else:  # '10 passed, 2 skipped in 30.1s'
        result['counts'] = {word: int(num)
                            for num, word in re.findall(r'(\d+) (\w+)', summary)}
        result['ok'] = proc.returncode == 0 and result['counts'].get('passed', 0) > 0
    if not result['ok']:
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    return result


# ------------------------------------------------------------------------ ops
def _op_cases():
    """(name, function, CPU inputs, indices of inputs to differentiate) per op."""
    import mmcv.ops as mo
    from mmdet3d.structures.bbox_3d import base_box3d

    from epcl_mmdet3d import ops
    ops.install_mmcv_cpu_fallback()
    gen = torch.Generator().manual_seed(0)
    xyz = torch.rand(2, 4096, 3, generator=gen) * 4  # (B, N, 3)
    centers = xyz[:, :512].contiguous()  # (B, M, 3)
    feats = torch.randn(2, 4096, 32, generator=gen)  # (B, N, C)
    known_feats = torch.randn(2, 512, 32, generator=gen)  # (B, M, C)
    group_idx = torch.randint(4096, (2, 512, 16), generator=gen)  # (B, M, K)
    _, nn_idx = ops.three_nn(xyz, centers)
    weight = torch.rand(2, 4096, 3, generator=gen)  # (B, N, 3)
    weight = weight / weight.sum(-1, keepdim=True)
    small = xyz[:, :1024].contiguous()  # (B, n, 3)
    dist = torch.cdist(small, small)  # (B, n, n)
    boxes = torch.cat([torch.rand(2, 6, 3, generator=gen) * 4,
                       torch.rand(2, 6, 3, generator=gen) + 0.3,
                       torch.rand(2, 6, 1, generator=gen) * 3], dim=-1)  # (B, T, 7)
    return [
        ('furthest_point_sample', ops.furthest_point_sample, (xyz, 512), ()),
        ('knn_query', ops.knn_query, (centers, xyz, 16), ()),
        ('ball_query', ops.ball_query, (centers, xyz, 0.2, 16), ()),
        ('three_nn', ops.three_nn, (xyz, centers), ()),
        ('three_interpolate', ops.three_interpolate, (known_feats, nn_idx, weight), (0, 2)),
        ('three_nn_interpolate', ops.three_nn_interpolate, (xyz, centers, known_feats), (2,)),
        ('gather_points', ops.gather_points, (feats, group_idx), (0,)),
        ('mmcv.furthest_point_sample', mo.furthest_point_sample, (xyz, 512), ()),
        ('mmcv.furthest_point_sample_with_dist', mo.furthest_point_sample_with_dist,
         (dist, 128), ()),
        ('mmcv.gather_points', mo.gather_points,
         (feats.transpose(1, 2).contiguous(), group_idx[..., 0].int().contiguous()), (0,)),
        ('mmcv.ball_query', mo.ball_query, (0.0, 0.2, 16, xyz, centers), ()),
        ('mmcv.grouping_operation', mo.grouping_operation,
         (feats.transpose(1, 2).contiguous(), group_idx.int()), (0,)),
        ('mmcv.three_nn', mo.three_nn, (xyz, centers), ()),
        ('mmcv.three_interpolate', mo.three_interpolate,
         (known_feats.transpose(1, 2).contiguous(), nn_idx.int(), weight), (0,)),
        ('mmcv.knn', mo.knn, (16, xyz, centers), ()),
        ('points_in_boxes_all', base_box3d.points_in_boxes_all, (xyz, boxes), ()),
        ('points_in_boxes_part', base_box3d.points_in_boxes_part, (xyz, boxes), ()),
    ]


def _run_op(fn, inputs, grad_of, device):
    """Outputs (and input gradients of a fixed random projection) on ``device``."""
    args = [a.to(device) if isinstance(a, torch.Tensor) else a for a in inputs]
    for i in grad_of:
        args[i] = args[i].detach().clone().requires_grad_(True)
    out = fn(*args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    grads = []
    if grad_of:
        gen = torch.Generator().manual_seed(1)
        probe = torch.randn(outs[0].shape, generator=gen).to(device)
        grads = torch.autograd.grad((outs[0] * probe).sum(), [args[i] for i in grad_of],
                                    allow_unused=True)
    return [o.detach().cpu() for o in outs], [g.cpu() if g is not None else None
                                              for g in grads]


def _agreement(cpu, gpu):
    """Per output: index agreement (integers) or the largest absolute difference."""
    report = []
    for a, b in zip(cpu, gpu):
        if a is None or b is None:
            report.append(dict(same_none=a is None and b is None))
        elif a.dtype.is_floating_point:
            report.append(dict(max_abs_diff=float((a - b.to(a.dtype)).abs().max())))
        else:
            report.append(dict(agreement=float((a.long() == b.long()).float().mean())))
    return report


def _within(entries):
    # FPS: one tie settled differently changes the rest of the sequence, so index
    # agreement is the check (mmcv and our kernel agree exactly on random clouds)
    return all(e.get('agreement', 1.0) >= 0.999 and e.get('max_abs_diff', 0.0) <= 1e-4
               and e.get('same_none', True) for e in entries)


def check_ops(dry: bool) -> dict:
    """Every op on CPU, and on CUDA against it unless dry."""
    results, ok = {}, True
    for name, fn, inputs, grad_of in _op_cases():
        cpu_out, cpu_grad = _run_op(fn, inputs, grad_of, 'cpu')
        entry = dict(shapes=[list(o.shape) for o in cpu_out])
        if not dry:
            gpu_out, gpu_grad = _run_op(fn, inputs, grad_of, 'cuda')
            entry['outputs'] = _agreement(cpu_out, gpu_out)
            entry['grads'] = _agreement(cpu_grad, gpu_grad)
            entry['ok'] = _within(entry['outputs']) and _within(entry['grads'])
            ok &= entry['ok']
        results[name] = entry
    return dict(ok=ok, ops=results)


# ------------------------------------------------------------------------ steps
def _bench_module():
    """benchmarks/bench_train_step.py, for its full-size model and batch builders."""
    path = osp.join(ROOT, 'benchmarks', 'bench_train_step.py')
    spec = importlib.util.spec_from_file_location('epcl_bench_train_step', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _amp_cfg(optim_cfg, mode):
    cfg = optim_cfg.copy()
    if mode != 'fp32':
        cfg.update(type='EPCLAmpOptimWrapper', loss_scale='dynamic',
                   dtype='bfloat16' if mode == 'amp_bf16' else None)
    return cfg


def _one_step(model, optim_wrapper, data):
    """One training step as mmengine's ``train_step``; returns loss and seconds."""
    torch.cuda.synchronize()
    start = time.perf_counter()
    with optim_wrapper.optim_context(model):
        losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    optim_wrapper.update_params(loss)
    torch.cuda.synchronize()
    return float(loss), time.perf_counter() - start


def check_steps(dry: bool) -> dict:
    """One full-size step per task config, fp32 and AMP (dry: build models only)."""
    from mmengine.optim import build_optim_wrapper
    bench = _bench_module()
    results, ok = {}, True
    for setting in SETTINGS:
        torch.manual_seed(0)
        cfg, model, batch, points, tok = bench._build(setting, 'frozen', 1.0)
        entry = dict(batch=batch, points=points, arch=_model_arch(model))
        if dry:
            for mode in ('fp32', 'amp_fp16', 'amp_bf16'):
                build_optim_wrapper(model, _amp_cfg(cfg.optim_wrapper, mode))
            results[setting] = entry
            continue
        model.cuda().train()
        data = bench._batch(setting, model, batch, points, tok.in_channels, 'cuda')
        trainable = [p for p in model.parameters() if p.requires_grad]
        for mode in ('fp32', 'amp_fp16', 'amp_bf16'):
            optim_wrapper = build_optim_wrapper(model, _amp_cfg(cfg.optim_wrapper, mode))
            before = [p.detach().clone() for p in trainable]
            torch.cuda.reset_peak_memory_stats()
            try:
                loss, seconds = _one_step(model, optim_wrapper, data)
                moved = any(not torch.equal(b, p) for b, p in zip(before, trainable))
                # AMP's first step may be skipped by the loss scaler (an overflow)
                step_ok = bool(torch.isfinite(torch.tensor(loss))) and (
                    moved or mode != 'fp32')
                entry[mode] = dict(loss=loss, seconds=seconds, params_moved=moved,
                                   peak_bytes=torch.cuda.max_memory_allocated(), ok=step_ok)
            except Exception as err:  # noqa: BLE001  (reported, the other runs go on)
                entry[mode] = dict(ok=False, error=f'{type(err).__name__}: {err}'[:2000])
            ok &= entry[mode]['ok']
            optim_wrapper.zero_grad()
        results[setting] = entry
        del model, data
        torch.cuda.empty_cache()
    return dict(ok=ok, settings=results)


def _model_arch(model) -> str:
    backbone = getattr(model, 'backbone', None) or getattr(model, 'encoder')
    return backbone.clip.arch


# ------------------------------------------------------------------------ bench
def check_bench(dry: bool, out_dir: str) -> dict:
    """The train-step benchmark at scale 1.0 (dry: its command line only)."""
    script = osp.join(ROOT, 'benchmarks', 'bench_train_step.py')
    out = osp.join(out_dir, 'bench_train_step_scale1.json')
    cmd = [sys.executable, script] + (['--help'] if dry else
                                      ['--scale', '1.0', '--steps', '2', '--json', out])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH',
                                                                            '')]))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=480)
    result = dict(ok=proc.returncode == 0, command=' '.join(cmd[1:]))
    if proc.returncode != 0:
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    elif not dry:
        result['table'] = proc.stdout
        with open(out) as f:
            result['figures'] = json.load(f)
    return result


# ------------------------------------------------------------------------ main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the results here (after every part)')
    parser.add_argument('--dry-run', action='store_true',
                        help='check that everything imports and builds; run nothing on '
                        'CUDA (the default without a CUDA device)')
    parser.add_argument('--parts', nargs='+', default=list(PARTS), choices=PARTS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    dry = args.dry_run or not torch.cuda.is_available()
    if dry:
        why = '--dry-run' if args.dry_run else 'no CUDA device'
        print(f'gpu_check: DRY RUN ({why}): the CUDA parts are skipped; checking that '
              'everything they would run imports and builds', flush=True)
    out_dir = osp.dirname(osp.abspath(args.json)) if args.json else ROOT
    report = dict(dry_run=dry, environment=environment(), parts={})
    checks = dict(tests=check_tests, ops=check_ops, steps=check_steps,
                  bench=lambda d: check_bench(d, out_dir))
    for part in args.parts:
        start = time.perf_counter()
        try:
            result = checks[part](dry)
        except Exception as err:  # noqa: BLE001  (reported, the other parts go on)
            result = dict(ok=False, error=f'{type(err).__name__}: {err}'[:2000])
        result['seconds'] = round(time.perf_counter() - start, 1)
        report['parts'][part] = result
        print(f"gpu_check: {part:6s} {'ok' if result['ok'] else 'FAILED'} "
              f"({result['seconds']} s){' [dry run]' if dry else ''}", flush=True)
        if args.json:
            os.makedirs(out_dir, exist_ok=True)
            with open(args.json, 'w') as f:
                json.dump(report, f, indent=1, default=str)
    report['ok'] = all(r['ok'] for r in report['parts'].values())
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1, default=str)
    print(f"gpu_check: {'all ok' if report['ok'] else 'FAILED'}"
          f"{' (dry run: nothing ran on CUDA)' if dry else ''}")
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
