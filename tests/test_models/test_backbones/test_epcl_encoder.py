import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.optim import build_optim_wrapper

import epcl_mmdet3d  # noqa: F401


def test_encoder_outputs(tiny_encoder_cfg):
    enc = MODELS.build(tiny_encoder_cfg)
    assert enc.embed_dims == 64
    out = enc(torch.rand(2, 200, 3))
    assert out['cls_feat'].shape == (2, 64)
    assert out['patch_feats'].shape == (2, 16, 64)  # task-token outputs dropped
    assert out['centers'].shape == (2, 16, 3)


def test_width_is_derived_from_clip(tiny_encoder_cfg):
    cfg = dict(tiny_encoder_cfg)
    cfg['tokenizer'] = dict(cfg['tokenizer'], embed_dims=768)
    with pytest.raises(ValueError, match='64 wide'):
        MODELS.build(cfg)


def test_gradients_flow_through_frozen_clip(tiny_encoder_cfg):
    """Tokenizer and task tokens learn through the frozen transformer, which stays put."""
    torch.manual_seed(0)
    enc = MODELS.build(tiny_encoder_cfg)
    enc.init_weights()
    enc.train()
    frozen_before = {k: v.clone() for k, v in enc.clip.state_dict().items()}
    trainable_before = {n: p.detach().clone() for n, p in enc.named_parameters()
                        if p.requires_grad}
    optim = build_optim_wrapper(enc, dict(
        constructor='EPCLOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.05)))
    points = torch.rand(2, 200, 3)
    for _ in range(3):
        out = enc(points)
        loss = out['cls_feat'].square().mean() + out['patch_feats'].square().mean()
        optim.update_params(loss)
    for p in enc.clip.parameters():
        assert p.grad is None
    for k, v in enc.clip.state_dict().items():
        assert torch.equal(v, frozen_before[k]), k
    for name in ('task_token.embedding.weight', 'tokenizer.encoder.first.fc1.weight',
                 'tokenizer.pos_embed.0.weight'):
        param = dict(enc.named_parameters())[name]
        assert not torch.equal(param.detach(), trainable_before[name]), name


def test_sample_independent_of_its_batch(tiny_encoder_cfg):
    torch.manual_seed(0)
    enc = MODELS.build(tiny_encoder_cfg).eval()
    points = torch.rand(3, 200, 3)
    out = enc(points)
    other = points.clone()
    other[1:] = torch.rand(2, 200, 3) * 3
    out2 = enc(other)
    assert torch.allclose(out['cls_feat'][0], out2['cls_feat'][0], atol=1e-5)
    assert torch.allclose(out['patch_feats'][0], out2['patch_feats'][0], atol=1e-5)


def test_no_task_tokens(tiny_encoder_cfg):
    for task_token in (None, dict(type='EPCLTaskToken', num_tokens=0)):
        enc = MODELS.build(dict(tiny_encoder_cfg, task_token=task_token))
        assert enc(torch.rand(1, 100, 3))['patch_feats'].shape == (1, 16, 64)
