"""Training-step cost of the CLIP tower: frozen vs unfrozen, fp32 vs bf16, sdpa vs native.

    python benchmarks/bench_backbone.py [--arch ViT-B-16] [--tokens 256 512] [--batch 2]

A step is forward + backward to the input tokens (what training the tokenizer
through a frozen tower needs); "unfrozen" adds the weight gradients.
"""
import argparse
import time
import warnings

import torch

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models import FrozenCLIPBackbone


def step_time(clip, batch, tokens, repeat):
    width = clip.embed_dims
    x = torch.randn(batch, tokens, width, requires_grad=True)
    pos = torch.zeros(batch, tokens, width)
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        clip(x, pos).square().mean().backward()
        times.append(time.perf_counter() - start)
        x.grad = None
        clip.zero_grad(set_to_none=True)
    return sorted(times[1:])[len(times[1:]) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--arch', default='ViT-B-16')
    parser.add_argument('--tokens', type=int, nargs='+', default=[256, 512])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    variants = [
        ('unfrozen fp32 native', dict(frozen=False, attn_impl='native')),
        ('frozen   fp32 native', dict(attn_impl='native')),
        ('unfrozen fp32 sdpa  ', dict(frozen=False, attn_impl='sdpa')),
        ('frozen   fp32 sdpa  ', dict(attn_impl='sdpa')),
        ('frozen   bf16 sdpa  ', dict(attn_impl='sdpa', frozen_dtype='bfloat16')),
    ]
    print(f'{args.arch}, batch {args.batch}, {torch.get_num_threads()} threads, '
          'median step (forward + backward) in ms')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights are fine for timing
        clips = [(name, FrozenCLIPBackbone(args.arch, embed_dropout=0.0, **kw))
                 for name, kw in variants]
    print('variant              ' + ''.join(f'{m:>10d}' for m in args.tokens))
    for name, clip in clips:
        clip.train()
        row = [step_time(clip, args.batch, m, args.repeat) * 1e3 for m in args.tokens]
        print(f'{name} ' + ''.join(f'{t:10.0f}' for t in row))


if __name__ == '__main__':
    main()
