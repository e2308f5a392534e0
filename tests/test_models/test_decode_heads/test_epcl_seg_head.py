"""EPCLSegHead on an EPCLEncoder with the hierarchical tokenizer (tiny CLIP)."""
import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, PointData

import epcl_mmdet3d  # noqa: F401

NUM_CLASSES = 13
IGNORE = 13


@pytest.fixture
def encoder(tiny_clip_cfg):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='EPCLEncoder',
        tokenizer=dict(type='EPCLHierarchicalTokenizer', num_points=(64, 32, 16),
                       num_neighbors=(8, 8, 8), in_channels=9,
                       level_channels=(16, 32), level_hidden=((16, 16), (16, 16)),
                       token_hidden=(16, 32)),
        task_token=dict(type='EPCLTaskToken', num_tokens=3),
        clip=tiny_clip_cfg))


def _head(embed_dims, **kw):
    cfg = dict(type='EPCLSegHead', embed_dims=embed_dims, skip_channels=(9, 16, 32),
               fp_channels=((32, 32), (32, 32), (32, 16)), channels=16,
               num_classes=NUM_CLASSES, ignore_index=IGNORE, dropout_ratio=0.0)
    cfg.update(kw)
    return MODELS.build(cfg)


def _samples(labels):
    out = []
    for lab in labels:
        s = Det3DDataSample()
        s.gt_pts_seg = PointData(pts_semantic_mask=lab)
        out.append(s)
    return out


def test_forward_shapes(encoder):
    head = _head(encoder.embed_dims)
    logits = head(encoder(torch.rand(2, 128, 9)))
    assert logits.shape == (2, NUM_CLASSES, 128)
    assert torch.isfinite(logits).all()


def test_loss_backward_reaches_tokenizer_not_clip(encoder):
    head = _head(encoder.embed_dims)
    feats = encoder(torch.rand(2, 128, 9))
    labels = torch.randint(0, NUM_CLASSES, (2, 128))
    labels[0, :10] = IGNORE
    losses = head.loss(feats, _samples(labels), train_cfg=None)
    loss = losses['loss_sem_seg']
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    tok_grads = [p.grad for p in encoder.tokenizer.parameters()]
    assert all(g is not None for g in tok_grads)
    assert any(g.abs().sum() > 0 for g in tok_grads)
    assert all(p.grad is None for p in encoder.clip.frozen_parameters())
    assert all(p.grad is not None for p in head.parameters())


def test_ignore_index_is_ignored(encoder):
    head = _head(encoder.embed_dims)
    feats = encoder(torch.rand(1, 128, 9))
    labels = torch.randint(0, NUM_CLASSES, (1, 128))
    base = head.loss(feats, _samples(labels), None)['loss_sem_seg']
    # relabelling points as "ignored" changes the loss only through those points
    mixed = labels.clone()
    mixed[0, 64:] = IGNORE
    full_ce = torch.nn.functional.cross_entropy(
        head(feats), mixed, ignore_index=IGNORE, reduction='sum') / 128
    got = head.loss(feats, _samples(mixed), None)['loss_sem_seg']
    torch.testing.assert_close(got, full_ce)
    assert not torch.isclose(got, base)


def test_predict_is_deterministic_and_builds_nothing(encoder):
    head = _head(encoder.embed_dims, dropout_ratio=0.5)
    encoder.eval()
    head.eval()
    n_params = sum(p.numel() for p in head.parameters())
    points = torch.rand(2, 128, 9)
    with torch.no_grad():
        a = head.predict(encoder(points), [{}, {}], None)
        b = head.predict(encoder(points), [{}, {}], None)
    assert a.shape == (2, NUM_CLASSES, 128)
    torch.testing.assert_close(a, b)
    assert sum(p.numel() for p in head.parameters()) == n_params


def test_samples_do_not_interact(encoder):
    head = _head(encoder.embed_dims)
    encoder.eval()
    head.eval()
    points = torch.rand(2, 128, 9)
    with torch.no_grad():
        a = head(encoder(points))
        other = points.clone()
        other[1] = torch.rand(128, 9)
        b = head(encoder(other))
    torch.testing.assert_close(a[0], b[0], rtol=1e-4, atol=1e-5)


def test_mismatched_width_and_missing_keys_are_clear(encoder):
    head = _head(encoder.embed_dims + 8)
    with pytest.raises(ValueError, match='embed_dims'):
        head(encoder(torch.rand(1, 128, 9)))
    with pytest.raises(KeyError, match='level_xyz'):
        _head(encoder.embed_dims)(dict(patch_feats=torch.rand(1, 16, 64)))
    with pytest.raises(ValueError, match='must equal channels'):
        _head(64, channels=8)


def test_in_norm_layernorms_clip_outputs_only(encoder):
    head = _head(encoder.embed_dims, in_norm=True)
    assert isinstance(head.in_norm, torch.nn.LayerNorm)
    assert head.in_norm.normalized_shape == (encoder.embed_dims,)
    feats = encoder(torch.rand(2, 128, 9))
    seen = []
    head.fp_mlps[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0]))
    # a CLIP-like residual stream: one channel orders of magnitude above the rest
    patch = feats['patch_feats'].detach().clone()  # (B, M, D)
    patch[..., 0] += 1000.0
    feats = dict(feats, patch_feats=patch.requires_grad_())
    logits = head(feats)
    assert logits.shape == (2, NUM_CLASSES, 128)
    assert torch.isfinite(logits).all()
    # the first MLP's input is (B, C, N) at the coarsest skip level; its first D
    # channels come from the normalised patch outputs, interpolated
    clip_part = seen[0][:, :encoder.embed_dims]  # (B, D, N_2)
    assert clip_part.abs().max() < 100.0
    tok = feats['level_feats'][-1].shape[-1]
    skip_part = seen[0][:, encoder.embed_dims + tok:]  # the skip features, as given
    torch.testing.assert_close(skip_part.transpose(1, 2),
                               feats['level_feats'][-2].to(skip_part.dtype))
    logits.sum().backward()
    assert patch.grad is not None and patch.grad.abs().sum() > 0
    assert head.in_norm.weight.grad is not None
    assert head.in_norm.weight.grad.abs().sum() > 0
    assert head.in_norm.bias.grad.abs().sum() > 0


def test_in_norm_off_feeds_clip_outputs_raw(encoder):
    head = _head(encoder.embed_dims, in_norm=False)
    assert isinstance(head.in_norm, torch.nn.Identity)
    normed = _head(encoder.embed_dims, in_norm=True)
    assert (sum(p.numel() for p in normed.parameters())
            - sum(p.numel() for p in head.parameters())) == 2 * encoder.embed_dims
    feats = encoder(torch.rand(1, 128, 9))
    seen = []
    head.fp_mlps[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0]))
    patch = feats['patch_feats'].detach().clone()
    patch[..., 0] += 1000.0
    head(dict(feats, patch_feats=patch))
    assert seen[0][:, 0].abs().min() > 900.0  # the large channel passes through


def test_default_conv_seg_is_numerically_unchanged(encoder):
    """Figures recorded on the code before the open-vocabulary option (cls_classifier)
    existed (seed 0): the default path must not move by one bit."""
    head = _head(encoder.embed_dims)
    head.init_weights()
    head.eval()
    assert head.cls_classifier is None and head.conv_seg.out_channels == NUM_CLASSES
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        logits = head(encoder(torch.rand(2, 128, 9, generator=gen)))
    assert logits.double().sum().item() == pytest.approx(305.9125356579534, abs=1e-4)
    assert logits[0, :3, 0].tolist() == pytest.approx(
        [0.3017385005950928, 0.08279602974653244, 0.06514445692300797], abs=1e-6)
