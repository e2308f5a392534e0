"""benchmarks/bench_train_step.py's live-tensor peak, the CPU figure the memory ratios use."""
import torch
from torch import nn


class _Wrapper:
    def __init__(self, optimizer):
        self.optimizer = optimizer


def test_live_peak_counts_resident_state_and_the_step_peak(load_tool):
    bench = load_tool('gpu_check')._bench_module()  # benchmarks/bench_train_step.py
    model = nn.Linear(256, 256)
    wrapper = _Wrapper(torch.optim.Adam(model.parameters()))
    x = torch.randn(512, 256)
    transient = 64 * 2 ** 20  # one 64 MiB tensor alive at the step's peak

    def step():
        big = torch.ones(transient // 4)  # float32
        loss = model(x).sum() + big.sum()
        loss.backward()
        del big
        wrapper.optimizer.step()
        wrapper.optimizer.zero_grad()

    step()  # Adam's state exists from here on
    params = sum(p.numel() * 4 for p in model.parameters())
    resident = bench._resident_bytes(model, wrapper)
    assert resident >= 3 * params  # weights, exp_avg, exp_avg_sq
    peak = bench._live_peak_bytes(step, model, wrapper)
    assert resident + transient <= peak < resident + transient + 8 * 2 ** 20
