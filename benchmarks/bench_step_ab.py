"""Whole training steps of one model in one process, alternating two code paths.

    python benchmarks/bench_step_ab.py [--setting det] [--variant frozen|unfrozen]
        [--scale 0.5] [--reps 4]

Between processes, a step's time on a shared CPU moves by up to 15 %, more than the
changes it is meant to show. This builds one model (the config of ``--setting`` as
``bench_train_step.py`` builds it) and one batch, and alternates ``plain`` steps (the
mini-PointNet's plain layers, ``fused_max=False``, and open_clip's QuickGELU module in the
tower) with ``lean`` steps (``fused_max=True`` and :func:`quick_gelu`, the defaults),
swapping which goes first in every repetition. It prints every step's time and the
medians. The two paths compute the same values (float rounding aside), so the model's
state after each step only drifts by that rounding.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--setting', default='det', choices=['cls', 'det', 'seg'])
    parser.add_argument('--variant', default='frozen', choices=['frozen', 'unfrozen'])
    parser.add_argument('--scale', type=float, default=0.5)
    parser.add_argument('--reps', type=int, default=4, help='steps of each path')
    args = parser.parse_args()

    import bench_train_step as bench
    import torch
    from mmengine.optim import build_optim_wrapper
    from open_clip.transformer import QuickGELU

    import epcl_mmdet3d  # noqa: F401
    import epcl_mmdet3d.models.backbones.frozen_clip_backbone as tower_module
    from epcl_mmdet3d.models.layers import EPCLMiniPointNet
    torch.manual_seed(0)
    cfg, model, batch, points, tok = bench._build(args.setting, args.variant, args.scale)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = bench._batch(args.setting, model, batch, points, tok.in_channels, 'cpu')
    encoders = [m for m in model.modules() if isinstance(m, EPCLMiniPointNet)]
    lean_gelu, plain_gelu = tower_module.quick_gelu, QuickGELU()

    def use(lean: bool):
        for encoder in encoders:
            encoder.fused_max = lean
        tower_module.quick_gelu = lean_gelu if lean else plain_gelu

    def step() -> float:
        start = time.perf_counter()
        bench._plain_step(model, optim_wrapper, data)
        return time.perf_counter() - start

    use(True)
    step()  # warm-up
    times = dict(plain=[], lean=[])
    for rep in range(args.reps):
        order = ('plain', 'lean') if rep % 2 == 0 else ('lean', 'plain')
        for name in order:
            use(name == 'lean')
            times[name].append(step())
    use(True)
    print(f'{args.setting} {args.variant}, scale {args.scale}, B {batch}, {points} points, '
          f'{torch.get_num_threads()} threads; {len(encoders)} mini-PointNet(s)')
    for name, values in times.items():
        median = sorted(values)[len(values) // 2]
        print(f'{name:6s} median {median:7.2f} s   steps ' + ' '.join(f'{v:.2f}' for v in values))


if __name__ == '__main__':
    main()
