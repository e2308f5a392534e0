import pytest
import torch

from epcl_mmdet3d.models.task_modules import EPCLHungarianMatcher


def test_assign_hand_made_cost():
    # Greedy row-wise choice (q0->g0, then q1 must take g1: 1 + 9 = 10) loses to the
    # optimum q0->g1, q1->g0 (2 + 3 = 5); q2 stays unmatched.
    cost = torch.tensor([[1.0, 2.0], [3.0, 9.0], [4.0, 8.0]])
    q, g = EPCLHungarianMatcher.assign(cost)
    pairs = sorted(zip(q.tolist(), g.tolist()))
    assert pairs == [(0, 1), (1, 0)]
    assert cost[q, g].sum().item() == 5.0


def test_assign_empty_and_bad():
    q, g = EPCLHungarianMatcher.assign(torch.zeros(4, 0))
    assert q.numel() == 0 and g.numel() == 0
    with pytest.raises(ValueError, match='NaN'):
        EPCLHungarianMatcher.assign(torch.tensor([[float('nan')]]))


def test_match_prefers_overlap_and_class():
    matcher = EPCLHungarianMatcher(cost_giou=2.0, cost_class=1.0)
    gt = torch.tensor([[0.0, 0, 0, 1, 1, 1], [3.0, 3, 0, 4, 4, 1]])
    pred = torch.tensor([[3.1, 3.0, 0, 4.1, 4, 1],  # overlaps gt 1
                         [5.0, 5, 5, 6, 6, 6],  # overlaps nothing
                         [0.0, 0.1, 0, 1, 1.1, 1]])  # overlaps gt 0
    prob = torch.full((3, 3), 1 / 3)
    q, g = matcher.match(prob, pred, pred[:, :3], torch.tensor([0, 1]), gt, gt[:, :3])
    assert dict(zip(g.tolist(), q.tolist())) == {0: 2, 1: 0}
    # identical boxes: the class probability decides
    same = torch.tensor([[0.0, 0, 0, 1, 1, 1]] * 2)
    prob = torch.tensor([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05]])
    q, g = matcher.match(prob, same, same[:, :3], torch.tensor([1, 0]), same, same[:, :3])
    assert dict(zip(g.tolist(), q.tolist())) == {0: 1, 1: 0}
