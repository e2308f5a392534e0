import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401


def test_tokens():
    module = MODELS.build(dict(type='EPCLTaskToken', num_tokens=5, embed_dims=16))
    out = module(3)
    assert out.shape == (3, 5, 16)
    assert torch.equal(out[0], out[2])  # the same tokens for every sample
    assert not torch.allclose(out[0, 0], out[0, 1])  # ids give distinct tokens
    out.sum().backward()
    assert module.embedding.weight.grad is not None
    assert 'ids' not in module.state_dict()  # the enumerated ids are not a weight


def test_zero_tokens_disables():
    module = MODELS.build(dict(type='EPCLTaskToken', num_tokens=0, embed_dims=16))
    assert module(3) is None
    assert len(list(module.parameters())) == 0
