"""Random states survive a round trip through a weights-only loaded checkpoint."""
import random

import numpy as np
import pytest
import torch

import epcl_mmdet3d  # noqa: F401  (allow-lists what checkpoints hold)
from epcl_mmdet3d.engine.checkpointing.epcl_random_state_hook import (
    capture_random_state,
    restore_random_state,
)


def _draw(device='cpu'):
    return (random.random(), float(np.random.rand()), float(np.random.randn()),
            torch.rand(3, device=device).tolist())


def _round_trip(tmp_path, device='cpu'):
    np.random.randn()  # leaves a cached gaussian in numpy's state
    torch.save({'state': capture_random_state()}, tmp_path / 's.pth')
    expected = _draw(device)
    _draw(device)
    state = torch.load(tmp_path / 's.pth')['state']  # weights-only (torch's default)
    return state, expected, restore_random_state(state)


def test_round_trip(tmp_path):
    _, expected, restored = _round_trip(tmp_path)
    assert restored[:3] == ['python', 'numpy', 'torch']
    assert _draw() == expected


@pytest.mark.cuda
def test_round_trip_cuda(tmp_path):
    torch.rand(1, device='cuda')  # initialise CUDA
    state, expected, restored = _round_trip(tmp_path, 'cuda')
    assert 'cuda' in state and 'cuda' in restored
    assert _draw('cuda') == expected
