import pytest
import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)


def _mlp(**kwargs):
    cfg = dict(type='EPCLPointwiseMLP', in_channels=6, hidden_channels=(8, 8), out_channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_shapes_and_layer_order():
    mlp = _mlp(dropout=0.3, out_norm=True, out_act=True)
    out = mlp(torch.randn(2, 5, 6))
    assert out.shape == (2, 5, 4) and (out >= 0).all()  # ends in ReLU
    kinds = [type(m).__name__ for m in mlp.layers]
    assert kinds == ['Conv1d', 'BatchNorm1d', 'ReLU', 'Dropout'] * 2 + [
        'Conv1d', 'BatchNorm1d', 'ReLU']
    assert mlp.layers[3].p == 0.3
    assert 'Dropout' not in [type(m).__name__ for m in _mlp().layers]


def test_tokens_are_independent_in_eval_and_batchnorm_spans_batch_and_tokens():
    torch.manual_seed(0)
    mlp = _mlp()
    x = torch.randn(3, 7, 6)
    mlp.train()
    mlp(x)
    bn = mlp.layers[1]
    conv_out = mlp.layers[0](x.transpose(1, 2))  # (B, C, L)
    # running mean after one step: 0.1 x the mean over batch and tokens
    torch.testing.assert_close(bn.running_mean, 0.1 * conv_out.mean(dim=(0, 2)).detach())
    mlp.eval()
    full = mlp(x)
    torch.testing.assert_close(mlp(x[:, 2:3]), full[:, 2:3])  # per token in eval


def test_bad_input():
    with pytest.raises(ValueError, match='dropout'):
        _mlp(dropout=1.0)
    with pytest.raises(ValueError, match=r'\(B, L, C\)'):
        _mlp()(torch.randn(4, 6))
