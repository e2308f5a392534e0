import warnings

import open_clip
import pytest
import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones.frozen_clip_backbone import FrozenCLIPBackbone

TINY = 'EPCL-ViT-Tiny'


def test_tiny_arch_is_an_open_clip_config():
    assert TINY in open_clip.list_models()
    cfg = open_clip.get_model_config(TINY)
    assert cfg['vision_cfg']['width'] == 64 and cfg['vision_cfg']['layers'] == 2


def test_forward_shapes(tiny_clip_cfg):
    clip = MODELS.build(tiny_clip_cfg)
    assert clip.embed_dims == 64 and clip.proj_dims == 32
    tokens, pos = torch.rand(2, 10, 64), torch.rand(2, 10, 64)
    assert clip(tokens, pos).shape == (2, 11, 64)
    assert clip(tokens, pos, torch.rand(2, 3, 64)).shape == (2, 11, 64)
    assert clip.project(torch.rand(2, 64)).shape == (2, 32)
    with pytest.raises(ValueError, match=r'\(B, M, 64\)'):
        clip(torch.rand(2, 10, 32), torch.rand(2, 10, 32))


def test_frozen_contract(tiny_clip_cfg):
    clip = MODELS.build(tiny_clip_cfg)
    assert all(not p.requires_grad for p in clip.visual.parameters())
    before = {k: v.clone() for k, v in clip.visual.state_dict().items()}
    clip.train()
    assert not clip.visual.training  # the tower stays in eval mode
    assert clip.embed_dropout.training  # our own dropout does train
    clip.init_weights()
    for k, v in clip.visual.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert len(clip.frozen_parameters()) == len(list(clip.visual.parameters()))


def test_unfrozen_ablation(tiny_clip_cfg):
    clip = MODELS.build(dict(tiny_clip_cfg, frozen=False))
    assert all(p.requires_grad for p in clip.visual.parameters())
    assert clip.frozen_parameters() == []
    clip.train()
    assert clip.visual.training
    # the text tower stays frozen even when the image tower trains
    with_text = MODELS.build(dict(tiny_clip_cfg, frozen=False, with_text=True))
    assert all(p.requires_grad for p in with_text.visual.parameters())
    assert not any(p.requires_grad for p in with_text.text.parameters())
    assert len(with_text.frozen_parameters()) == len(list(with_text.text.parameters()))
    with_text.train()
    assert not with_text.text.training


def test_sdpa_matches_open_clip_blocks(tiny_clip_cfg):
    sdpa = MODELS.build(dict(tiny_clip_cfg, attn_impl='sdpa'))
    native = MODELS.build(dict(tiny_clip_cfg, attn_impl='native'))
    tokens, pos, task = torch.rand(2, 10, 64), torch.rand(2, 10, 64), torch.rand(2, 3, 64)
    assert torch.allclose(sdpa(tokens, pos, task), native(tokens, pos, task), atol=1e-5)


def test_bf16_weights(tiny_clip_cfg):
    fp32 = MODELS.build(tiny_clip_cfg)
    bf16 = MODELS.build(dict(tiny_clip_cfg, frozen_dtype='bfloat16',
                            frozen_dtype_policy='force'))  # on any CPU
    assert bf16.visual.class_embedding.dtype == torch.bfloat16
    tokens = torch.rand(2, 10, 64, requires_grad=True)
    out = bf16(tokens, torch.rand(2, 10, 64))
    assert out.dtype == torch.float32
    out.sum().backward()
    assert tokens.grad is not None and torch.isfinite(tokens.grad).all()
    ref = fp32(tokens.detach(), torch.zeros(2, 10, 64))
    got = bf16(tokens.detach(), torch.zeros(2, 10, 64))
    assert (ref - got).abs().max() < 0.1 * ref.abs().max()
    with pytest.raises(ValueError, match='must stay float32'):
        MODELS.build(dict(tiny_clip_cfg, frozen=False, frozen_dtype='bfloat16'))


def test_batch_independence(tiny_clip_cfg):
    clip = MODELS.build(tiny_clip_cfg).eval()
    tokens, pos = torch.rand(3, 10, 64), torch.rand(3, 10, 64)
    out = clip(tokens, pos)
    tokens2 = tokens.clone()
    tokens2[1:] = torch.rand(2, 10, 64) * 5
    out2 = clip(tokens2, pos)
    assert torch.allclose(out[0], out2[0], atol=1e-6)
    assert not torch.allclose(out[1], out2[1])


def test_text_tower(tiny_clip_cfg):
    clip = MODELS.build(dict(tiny_clip_cfg, with_text=True))
    emb = clip.encode_text(['a point cloud of a chair', 'a point cloud of a table'])
    assert emb.shape == (2, 32)
    assert not any(p.requires_grad for p in clip.text.parameters())
    # the visual tower is held once, not twice, in the state dict
    assert not any(k.startswith('text.visual') for k in clip.state_dict())
    with pytest.raises(RuntimeError, match='with_text=True'):
        MODELS.build(tiny_clip_cfg).encode_text(['x'])


def test_loads_local_checkpoint_exactly(tiny_clip_cfg, tiny_clip_checkpoint):
    state = torch.load(tiny_clip_checkpoint, weights_only=True)
    clip = MODELS.build(dict(tiny_clip_cfg, with_text=True))
    for k, v in clip.visual.state_dict().items():
        assert torch.equal(v, state['visual.' + k]), k
    for k, v in clip.text.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_visual_only_and_wrapped_checkpoints(tmp_path, tiny_clip_checkpoint):
    state = torch.load(tiny_clip_checkpoint, weights_only=True)
    visual = {k: v for k, v in state.items() if k.startswith('visual.')}
    path = tmp_path / 'wrapped.pth'
    torch.save({'state_dict': {'module.' + k: v for k, v in visual.items()}}, path)
    clip = FrozenCLIPBackbone(TINY, pretrained=str(path))
    assert torch.equal(clip.visual.proj, state['visual.proj'])
    with pytest.raises(ValueError, match='missing keys'):
        FrozenCLIPBackbone(TINY, pretrained=str(path), with_text=True)


def test_checkpoint_errors(tmp_path, tiny_clip_checkpoint):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        FrozenCLIPBackbone(TINY, pretrained=str(tmp_path / 'missing.pt'))
    state = torch.load(tiny_clip_checkpoint, weights_only=True)
    state['visual.positional_embedding'] = torch.zeros(5, 64)
    bad = tmp_path / 'other_arch.pt'
    torch.save(state, bad)
    with pytest.raises(ValueError, match='(?s)does not fit open_clip architecture.*positional'):
        FrozenCLIPBackbone(TINY, pretrained=str(bad))
    junk = tmp_path / 'junk.pt'
    junk.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='weights-only'):
        FrozenCLIPBackbone(TINY, pretrained=str(junk))
    with pytest.raises(ValueError, match='unknown open_clip architecture'):
        FrozenCLIPBackbone('ViT-Nope', pretrained=None)
    with pytest.raises(ValueError, match='neither a local file nor'):
        FrozenCLIPBackbone(TINY, pretrained='not-a-tag')


def test_random_weights_warn():
    with pytest.warns(UserWarning, match='RANDOM weights'):
        FrozenCLIPBackbone(TINY, pretrained=None)


@pytest.mark.slow
def test_full_size_checkpoint_round_trip(tmp_path):
    """ViT-B-16 with random weights -> local file -> FrozenCLIPBackbone, bit-exact."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        reference = open_clip.create_model('ViT-B-16', pretrained=None)
    path = tmp_path / 'vit_b_16.pt'
    torch.save(reference.state_dict(), path)
    clip = FrozenCLIPBackbone('ViT-B-16', pretrained=str(path))
    assert clip.embed_dims == 768 and clip.proj_dims == 512
    ref_visual = reference.visual.state_dict()
    for k, v in clip.visual.state_dict().items():
        assert torch.equal(v, ref_visual[k]), k
    tokens = torch.rand(1, 32, 768)
    assert clip(tokens, torch.zeros_like(tokens)).shape == (1, 33, 768)
    with pytest.raises(ValueError, match="does not fit open_clip architecture 'ViT-B-32'"):
        FrozenCLIPBackbone('ViT-B-32', pretrained=str(path))


@pytest.mark.parametrize('frozen', [True, False])
def test_sdpa_quick_gelu_matches_open_clip_blocks(tiny_clip_cfg, frozen):
    """The fused block path (sdpa + the lean QuickGELU) against open_clip's own blocks:
    the same outputs and input gradients, frozen or training."""
    cfg = dict(tiny_clip_cfg, activation='quick_gelu', frozen=frozen)
    sdpa = MODELS.build(dict(cfg, attn_impl='sdpa'))
    native = MODELS.build(dict(cfg, attn_impl='native'))
    assert type(sdpa.visual.transformer.resblocks[0].mlp.gelu).__name__ == 'QuickGELU'
    tokens = torch.rand(2, 10, 64, requires_grad=True)
    pos, task = torch.rand(2, 10, 64), torch.rand(2, 3, 64)
    out = sdpa(tokens, pos, task)
    ref = native(tokens, pos, task)
    assert torch.allclose(out, ref, atol=1e-5)
    grad = torch.rand_like(out)
    got, = torch.autograd.grad(out, tokens, grad)
    want, = torch.autograd.grad(ref, tokens, grad)
    assert torch.allclose(got, want, atol=1e-5)
