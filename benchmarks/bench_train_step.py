"""Full training steps of the three task settings, frozen vs unfrozen CLIP, with a profile.

    python benchmarks/bench_train_step.py [--scale S] [--steps 3] [--json FILE]
        [--settings cls det seg] [--extra-variants frozen-bf16 frozen-cp light-tokenizer 3detr]

Each setting is the real config (configs/epcl_modelnet40_cls.py, epcl_scannet_det.py,
epcl_s3dis_seg.py) with its CLIP (ViT-B/32, QuickGELU as OpenAI's weights) built with
random weights; ``--scale`` multiplies the batch size
and every point count (input points, token centres, hierarchy levels) by S, rounded
(the group size K stays). A step is what mmengine's ``train_step`` does with the data
already on the device: forward with loss, backward, optimizer step (the config's
optimizer, gradient clipping and constructor), zero_grad. Every variant runs in its
own process so that its peak memory (RSS high-water mark on CPU,
``max_memory_allocated`` on CUDA) is its own.

Per setting it reports: median step time and peak memory frozen vs unfrozen and their
ratios; the frozen tower's achieved FLOP/s (forward + input-gradient backward, from the
step's own timings) against a plain matmul of the same dtype and size timed in the same
process; the share of grouping (FPS + kNN + gathers) in a step; the slim state_dict's size against
the full one (frozen CLIP included); a per-part profile; and which machine-dependent
paths ran (the tower's dtype after the fast-kernel check of
``epcl_mmdet3d.utils.resolve_dtype``, the autocast dtype, the attention kernel).

The ``3detr`` variant (detection only) is the baseline EPCL is compared with:
``configs/3detr_scannet_det.py`` (3DETR's own encoder, the same head, 3DETR's optimiser)
at the same scale (its 2048 pre-encoder centres scaled as EPCL's 2048 tokens), timed in
the same run; the summary adds ``epcl_vs_3detr_step_ratio`` and ``epcl_vs_3detr_mem_ratio``
(EPCL frozen over 3DETR). Every run reports its trainable and frozen parameter counts.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
from functools import partial

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(cls='configs/epcl_modelnet40_cls.py', det='configs/epcl_scannet_det.py',
               seg='configs/epcl_s3dis_seg.py')
# points per sample and batch size of each config's training set-up
FULL = dict(cls=dict(points=1024, batch=32), det=dict(points=40000, batch=8),
            seg=dict(points=4096, batch=8))
# baselines run as variants of a setting: (setting, variant) -> config
BASELINES = {('det', '3detr'): 'configs/3detr_scannet_det.py'}
PARTS = ('grouping', 'tokenizer_fwd', 'task_token_fwd', 'tower_fwd', 'head_loss_fwd',
         'head_loss_bwd', 'tower_bwd', 'tokenizer_bwd', 'optimizer')



def _state_bytes(state: dict) -> int:
    """Bytes of the tensors of a state dict (non-tensor entries, e.g. identities, add ~0)."""
    return sum(t.numel() * t.element_size() for t in state.values()
               if hasattr(t, 'element_size'))

def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _resident_bytes(model, optim_wrapper) -> int:
    """Bytes of what lives between steps: parameters, buffers, optimizer state."""
    import torch
    storages = {}
    tensors = list(model.parameters()) + list(model.buffers())
    for state in optim_wrapper.optimizer.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    for t in tensors:
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


def _live_peak_bytes(step, model, optim_wrapper) -> int:
    """Peak bytes of live tensors over one more training step on CPU (the analogue of
    CUDA's ``max_memory_allocated``).

    The RSS high-water mark also counts what the allocator keeps after a free (glibc
    returns little of it) and so grows from step to step; this counts tensors only:
    what lives between steps plus the highest net allocation during ``step()``, read
    from the profiler's allocation events. Run after the timed steps.
    """
    import tempfile

    from torch.profiler import ProfilerActivity, profile
    resident = _resident_bytes(model, optim_wrapper)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'trace.json')
        prof.export_chrome_trace(path)
        with open(path) as f:
            events = json.load(f)['traceEvents']
    net = [e['args']['Total Allocated'] for e in events if e.get('name') == '[memory]']
    return resident + max(net, default=0)


def _memory(model, optim_wrapper, data, cuda, base_rss) -> dict:
    """A worker's memory figures after its timed steps: ``peak_bytes`` / ``base_bytes``
    (RSS high-water mark and the process before the model; CUDA: max_memory_allocated
    and 0) and ``live_peak_bytes`` (CUDA: max_memory_allocated again)."""
    import torch
    if cuda:
        peak = torch.cuda.max_memory_allocated()
        return dict(peak_bytes=peak, base_bytes=0, live_peak_bytes=peak)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before the extra step
    live = _live_peak_bytes(partial(_plain_step, model, optim_wrapper, data), model,
                            optim_wrapper)
    return dict(peak_bytes=peak, base_bytes=base_rss, live_peak_bytes=live)


# ---------------------------------------------------------------- worker process
def _build(setting, variant, scale):
    from mmdet3d.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[setting]))
    model_cfg = cfg.model
    backbone = model_cfg.get('backbone') or model_cfg.get('encoder')
    clip = backbone.clip
    if clip.get('activation') is None and isinstance(clip.get('pretrained'), str) \
            and not osp.isfile(clip.pretrained):
        # the network the config's weights build (QuickGELU for OpenAI's tags), not the
        # bare architecture's default: the random tower must cost what the real one costs
        from epcl_mmdet3d.models.backbones.clip_weights import tag_activation
        clip.activation = tag_activation(clip.arch, clip.pretrained)
    clip.pretrained = None  # the config's CLIP with random weights: nothing is downloaded
    if variant == 'unfrozen':
        clip.frozen = False
    elif variant == 'frozen-bf16':
        clip.frozen_dtype = 'bfloat16'
    elif variant == 'frozen-cp':
        clip.with_cp = True
    elif variant == 'light-tokenizer':
        backbone.tokenizer.encoder = dict(type='EPCLSetAbstractionMLP')  # 64-128-256
    tok = backbone.tokenizer
    points = max(64, round(FULL[setting]['points'] * scale))
    batch = max(1, round(FULL[setting]['batch'] * scale))
    if 'num_tokens' in tok:
        tok.num_tokens = max(8, round(tok.num_tokens * scale))
        tok.num_neighbors = min(tok.num_neighbors, points)
    else:  # hierarchical: every level shrinks
        tok.num_points = tuple(max(8, round(n * scale)) for n in tok.num_points)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return cfg, model, batch, points, tok


def _batch(setting, model, batch, points, in_channels, device):
    import torch
    from mmdet3d.structures import DepthInstance3DBoxes, Det3DDataSample, PointData
    from mmengine.structures import InstanceData, LabelData
    gen = torch.Generator().manual_seed(0)
    samples, clouds = [], []
    for _ in range(batch):
        xyz = torch.rand(points, 3, generator=gen) * torch.tensor([6.0, 6.0, 2.5])
        extra = torch.rand(points, in_channels - 3, generator=gen)
        clouds.append(torch.cat([xyz, extra], dim=1))  # (N, C)
        sample = Det3DDataSample()
        if setting == 'cls':
            sample.gt_label = LabelData(label=torch.randint(40, (1,), generator=gen))
        elif setting == 'det':
            gt = InstanceData()
            boxes = torch.cat([torch.rand(6, 3, generator=gen) * 4 + 1,
                               torch.rand(6, 3, generator=gen) + 0.3], dim=1)  # (G, 6)
            gt.bboxes_3d = DepthInstance3DBoxes(boxes, box_dim=6, with_yaw=False,
                                                origin=(0.5, 0.5, 0.5))
            gt.labels_3d = torch.randint(18, (6,), generator=gen)
            sample.gt_instances_3d = gt
            sample.set_metainfo(dict(box_type_3d=DepthInstance3DBoxes))
        else:
            sample.gt_pts_seg = PointData(
                pts_semantic_mask=torch.randint(13, (points,), generator=gen))
        samples.append(sample)
    data = model.data_preprocessor(dict(inputs=dict(points=clouds), data_samples=samples),
                                   True)
    return data


class _Timer:
    """Wall-clock marks set by module and tensor hooks during one step."""

    def __init__(self, sync):
        self.sync = sync
        self.marks = {}
        self.acc = {}

    def now(self):
        self.sync()
        return time.perf_counter()

    def mark(self, name):
        self.marks[name] = self.now()

    def add(self, name, seconds):
        self.acc[name] = self.acc.get(name, 0.0) + seconds


def _instrument(model, timer):
    """Forward hooks on the tokenizer, its groupers, the task tokens and the tower;
    gradient hooks on the tower's output and the tokens (where the backward passes)."""
    from epcl_mmdet3d.models.layers import EPCLPointGrouper
    backbone = getattr(model, 'backbone', None) or getattr(model, 'encoder')
    starts = {}

    def pre(name):
        def hook(module, args):
            starts[name] = timer.now()
        return hook

    def post(name, grad_mark=None, key=None):
        def hook(module, args, out):
            timer.add(name, timer.now() - starts[name])
            if grad_mark is not None and module.training:
                tensor = out[key] if key is not None else out
                if tensor.requires_grad:
                    tensor.register_hook(lambda g: timer.mark(grad_mark))
        return hook

    backbone.tokenizer.register_forward_pre_hook(pre('tokenizer_fwd'))
    backbone.tokenizer.register_forward_hook(post('tokenizer_fwd', 'tokens_grad', 'tokens'))
    for module in backbone.tokenizer.modules():
        if isinstance(module, EPCLPointGrouper):
            module.register_forward_pre_hook(pre('grouping'))
            module.register_forward_hook(post('grouping'))
    if backbone.task_token is not None:
        backbone.task_token.register_forward_pre_hook(pre('task_token_fwd'))
        backbone.task_token.register_forward_hook(post('task_token_fwd'))
    backbone.clip.register_forward_pre_hook(pre('tower_fwd'))
    backbone.clip.register_forward_hook(post('tower_fwd', 'tower_out_grad'))
    return backbone


def _tower_flops(clip, batch, length):
    """Multiply-add FLOPs (x2) of the frozen tower's forward + input-gradient backward."""
    blocks = clip.visual.transformer.resblocks
    width = clip.embed_dims
    hidden = blocks[0].mlp.c_fc.out_features
    linear = 2 * length * (4 * width * width + 2 * width * hidden)  # qkv, out, mlp
    attention = 2 * 2 * length * length * width  # q k^T and attn v
    # backward for the input only: the same linear FLOPs again (no weight gradients),
    # twice the attention matmuls (gradients of q, k, v and of the scores)
    return batch * len(blocks) * (2 * linear + 3 * attention)


def _plain_step(model, optim_wrapper, data):
    """What mmengine's ``train_step`` does with the data already on the device."""
    with optim_wrapper.optim_context(model):
        losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    optim_wrapper.update_params(loss)


def _matmul_flops_per_s(rows, width, hidden, dtype, device, sync):
    import torch
    a = torch.randn(rows, width, dtype=dtype, device=device)
    b = torch.randn(width, hidden, dtype=dtype, device=device)
    times = []
    for _ in range(4):
        sync()
        start = time.perf_counter()
        a @ b
        sync()
        times.append(time.perf_counter() - start)
    return 2 * rows * width * hidden / sorted(times)[1]


def worker(args):
    import torch
    from mmengine.optim import build_optim_wrapper

    import epcl_mmdet3d  # noqa: F401
    if (args.worker, args.variant) in BASELINES:
        return baseline_worker(args)
    cuda = torch.cuda.is_available()
    device = 'cuda' if cuda else 'cpu'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    base_rss = _rss_bytes()
    torch.manual_seed(0)
    cfg, model, batch, points, tok = _build(args.worker, args.variant, args.scale)
    model.to(device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = _batch(args.worker, model, batch, points, tok.in_channels, device)
    timer = _Timer(sync)
    backbone = _instrument(model, timer)
    clip = backbone.clip
    steps = []
    for i in range(args.steps + 1):  # the first step warms up
        timer.marks.clear()
        timer.acc.clear()
        start = timer.now()
        with optim_wrapper.optim_context(model):
            losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        fwd_end = timer.now()
        optim_wrapper.backward(loss)
        bwd_end = timer.now()
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        end = timer.now()
        acc = dict(timer.acc)
        parts = dict(
            grouping=acc.get('grouping', 0.0),
            tokenizer_fwd=acc['tokenizer_fwd'] - acc.get('grouping', 0.0),
            task_token_fwd=acc.get('task_token_fwd', 0.0), tower_fwd=acc['tower_fwd'],
            head_loss_fwd=(fwd_end - start) - acc['tokenizer_fwd']
            - acc.get('task_token_fwd', 0.0) - acc['tower_fwd'],
            head_loss_bwd=timer.marks['tower_out_grad'] - fwd_end,
            tower_bwd=timer.marks['tokens_grad'] - timer.marks['tower_out_grad'],
            tokenizer_bwd=bwd_end - timer.marks['tokens_grad'],
            optimizer=end - bwd_end)
        if i > 0:
            steps.append((end - start, parts))
    steps.sort(key=lambda s: s[0])
    step_time, parts = steps[len(steps) // 2]
    memory = _memory(model, optim_wrapper, data, cuda, base_rss)
    # the checkpointed model state: slim (what our checkpoints hold: no frozen CLIP, its
    # identity instead) against full (the frozen towers included)
    slim_bytes = _state_bytes(model.state_dict())
    clip.slim_state_dict = False
    full_bytes = _state_bytes(model.state_dict())
    clip.slim_state_dict = True
    num_tokens = (tok.num_tokens if 'num_tokens' in tok else tok.num_points[-1])
    task = backbone.task_token.num_tokens if backbone.task_token is not None else 0
    length = 1 + num_tokens + task
    tower_time = parts['tower_fwd'] + parts['tower_bwd']
    hidden = clip.visual.transformer.resblocks[0].mlp.c_fc.out_features
    result = dict(
        setting=args.worker, variant=args.variant, scale=args.scale, batch=batch,
        points=points, tokens=num_tokens, length=length, device=device,
        threads=torch.get_num_threads(), step_time=step_time, parts=parts,
        **_param_counts(model),
        **memory, full_state_bytes=full_bytes,
        slim_state_bytes=slim_bytes,
        tower_flops_per_s=_tower_flops(clip, batch, length) / tower_time,
        matmul_flops_per_s=_matmul_flops_per_s(batch * length, clip.embed_dims, hidden,
                                               clip.weight_dtype, device, sync))
    result.update(_paths_taken(clip, optim_wrapper, batch, length, device))
    with open(args.out, 'w') as f:
        json.dump(result, f)


def _param_counts(model) -> dict:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return dict(trainable_params=trainable, frozen_params=total - trainable)


def baseline_worker(args):
    """One baseline (e.g. 3DETR) at the scale of its setting: step time, peak memory and
    parameter counts (no per-part profile: it has no tokenizer or tower)."""
    import torch
    from mmdet3d.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')
    cuda = torch.cuda.is_available()
    device = 'cuda' if cuda else 'cpu'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    base_rss = _rss_bytes()
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, BASELINES[args.worker, args.variant]))
    points = max(64, round(FULL[args.worker]['points'] * args.scale))
    batch = max(1, round(FULL[args.worker]['batch'] * args.scale))
    sa = cfg.model.backbone.pre_encoder
    sa.num_point = max(8, round(sa.num_point * args.scale))  # as EPCL's num_tokens
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = _batch(args.worker, model, batch, points, model.backbone.in_channels, device)
    steps = []
    for i in range(args.steps + 1):  # the first step warms up
        sync()
        start = time.perf_counter()
        with optim_wrapper.optim_context(model):
            losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        sync()
        fwd_end = time.perf_counter()
        optim_wrapper.backward(loss)
        sync()
        bwd_end = time.perf_counter()
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        sync()
        end = time.perf_counter()
        if i > 0:
            steps.append((end - start, dict(forward=fwd_end - start, backward=bwd_end - fwd_end,
                                            optimizer=end - bwd_end)))
    steps.sort(key=lambda s: s[0])
    step_time, parts = steps[len(steps) // 2]
    memory = _memory(model, optim_wrapper, data, cuda, base_rss)
    result = dict(setting=args.worker, variant=args.variant, scale=args.scale, batch=batch,
                  points=points, tokens=sa.num_point, device=device,
                  threads=torch.get_num_threads(), step_time=step_time, parts=parts,
                  **memory, **_param_counts(model))
    with open(args.out, 'w') as f:
        json.dump(result, f)


def _paths_taken(clip, optim_wrapper, batch, length, device):
    """Which machine-dependent paths ran: the tower's stored dtype (float32 where a
    reduced one is slow here), the autocast dtype, the attention kernel."""
    from epcl_mmdet3d.utils.dtype_support import sdpa_backend
    cast = getattr(optim_wrapper, 'cast_dtype', None)
    block = clip.visual.transformer.resblocks[0]
    attention = 'nn.MultiheadAttention'
    if all(clip._fused):
        heads = block.attn.num_heads
        attention = 'sdpa/' + sdpa_backend(device, clip.weight_dtype, heads, length,
                                           clip.embed_dims // heads, batch)
    return dict(tower_dtype=str(clip.weight_dtype).replace('torch.', ''),
                autocast=str(cast).replace('torch.', '') if cast is not None else 'off',
                attention=attention)


# ---------------------------------------------------------------- driver
def _run_variant(setting, variant, args, tmp):
    out = osp.join(tmp, f'{setting}_{variant}.json')
    cmd = [sys.executable, osp.abspath(__file__), '--worker', setting, '--variant', variant,
           '--scale', str(args.scale), '--steps', str(args.steps), '--out', out]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'{setting}/{variant} failed:\n{proc.stderr[-4000:]}')
    with open(out) as f:
        return json.load(f)


def _load(avg) -> str:
    return ' '.join(f'{v:.2f}' for v in avg)


def _mem(r):
    return r['peak_bytes'] - r['base_bytes']


def _summary(frozen, unfrozen):
    mem = _mem
    return dict(
        step_time_ratio=frozen['step_time'] / unfrozen['step_time'],
        peak_mem_ratio=mem(frozen) / mem(unfrozen),
        live_mem_ratio=frozen['live_peak_bytes'] / unfrozen['live_peak_bytes'],
        tower_matmul_efficiency=frozen['tower_flops_per_s'] / frozen['matmul_flops_per_s'],
        sampling_share=frozen['parts']['grouping'] / frozen['step_time'],
        slim_ckpt_ratio=frozen['slim_state_bytes'] / frozen['full_state_bytes'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scale', type=float, default=None,
                        help='batch and point counts x S (default: 1 with CUDA, 0.125 on CPU)')
    parser.add_argument('--steps', type=int, default=3, help='timed steps (after 1 warm-up)')
    parser.add_argument('--settings', nargs='+', default=['cls', 'det', 'seg'],
                        choices=sorted(CONFIGS))
    parser.add_argument('--extra-variants', nargs='*', default=[],
                        choices=['frozen-bf16', 'frozen-cp', 'light-tokenizer', '3detr'],
                        help='3detr: the 3DETR baseline, for det only')
    parser.add_argument('--json', help='write the figures here')
    parser.add_argument('--worker', choices=sorted(CONFIGS), help=argparse.SUPPRESS)
    parser.add_argument('--variant', default='frozen', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale is None:
        import torch
        args.scale = 1.0 if torch.cuda.is_available() else 0.125
    if args.worker:
        return worker(args)
    import tempfile
    results, summary = {}, {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for setting in args.settings:
            for variant in ['frozen', 'unfrozen'] + list(args.extra_variants):
                if variant == '3detr' and (setting, variant) not in BASELINES:
                    continue
                results[setting, variant] = _run_variant(setting, variant, args, tmp)
            summary[setting] = _summary(results[setting, 'frozen'],
                                        results[setting, 'unfrozen'])
            if (setting, '3detr') in results:
                epcl, detr = results[setting, 'frozen'], results[setting, '3detr']
                summary[setting].update(
                    epcl_vs_3detr_step_ratio=epcl['step_time'] / detr['step_time'],
                    epcl_vs_3detr_mem_ratio=_mem(epcl) / _mem(detr),
                    epcl_vs_3detr_live_mem_ratio=(epcl['live_peak_bytes']
                                                  / detr['live_peak_bytes']))
    load_after = os.getloadavg()
    first = next(iter(results.values()))
    print(f"scale {args.scale} ({first['device']}, {first['threads']} threads, "
          f'{args.steps} timed steps, median); load average (1, 5, 15 min) before '
          f'{_load(load_before)}, after {_load(load_after)}')
    print(f'{"setting":8s}{"variant":16s}{"B":>3s}{"N":>7s}{"M":>6s}{"step s":>9s}'
          f'{"peak GB":>9s}{"+model GB":>10s}{"live GB":>9s}{"trainable M":>12s}'
          f'{"frozen M":>10s}'
          f'  {"tower":9s}{"autocast":9s}attention')
    for (setting, variant), r in results.items():
        print(f"{setting:8s}{variant:16s}{r['batch']:3d}{r['points']:7d}{r['tokens']:6d}"
              f"{r['step_time']:9.2f}{r['peak_bytes'] / 1e9:9.2f}"
              f"{(r['peak_bytes'] - r['base_bytes']) / 1e9:10.2f}"
              f"{r['live_peak_bytes'] / 1e9:9.2f}"
              f"{r['trainable_params'] / 1e6:12.3f}{r['frozen_params'] / 1e6:10.3f}  "
              f"{r.get('tower_dtype', '-'):9s}{r.get('autocast', '-'):9s}"
              f"{r.get('attention', '-')}")
    print('\nper-part profile, seconds of the median step:')
    print(f'{"setting":8s}{"variant":16s}' + ''.join(f'{p[:13]:>14s}' for p in PARTS))
    for (setting, variant), r in results.items():
        if (setting, variant) in BASELINES:  # forward / backward / optimizer only
            print(f'{setting:8s}{variant:16s}' + '  '.join(
                f'{k} {v:.3f}' for k, v in r['parts'].items()))
            continue
        print(f'{setting:8s}{variant:16s}' + ''.join(f"{r['parts'][p]:14.3f}" for p in PARTS))
    print('\npeak GB / +model GB: RSS high-water mark, total / above the process before '
          'the model (CUDA: max_memory_allocated); live GB: peak of live tensors in one '
          'more step (CUDA: max_memory_allocated)')
    print('\nsummary (targets: step_time_ratio <= 0.65, peak_mem_ratio <= 0.6, '
          'tower_matmul_efficiency >= 0.5, sampling_share <= 0.1, slim_ckpt_ratio <= 0.1 '
          'det / 0.03 cls):')
    keys = list(dict.fromkeys(k for s in summary.values() for k in s))
    widths = [max(25, len(k) + 2) for k in keys]
    print(f'{"setting":8s}' + ''.join(f'{k:>{w}s}' for k, w in zip(keys, widths)))
    for setting, s in summary.items():
        print(f'{setting:8s}' + ''.join(f"{s.get(k, float('nan')):{w}.3f}"
                                         for k, w in zip(keys, widths)))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(summary, meta=dict(scale=args.scale, device=first['device'],
                                              threads=first['threads'],
                                              loadavg_before=load_before,
                                              loadavg_after=load_after,
                                              runs=list(results.values()))), f, indent=1)


if __name__ == '__main__':
    main()
