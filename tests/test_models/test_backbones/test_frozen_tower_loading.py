"""The frozen tower's weights are the config's on every load path, unless adopted on purpose.

A load that would put other values into a frozen tensor (an altered full state dict, a
checkpoint of the unfrozen ablation) is refused, naming the tensor and both identities;
``adopt_checkpoint_tower=True`` takes the checkpoint's tower, and the identity is then
computed from what the tower holds and logged.
"""
import logging
import re

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.logging import MMLogger

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones.base_frozen_tower import decode_identity

TINY = 'EPCL-ViT-Tiny'
ALTERED = 'visual.transformer.resblocks.1.mlp.c_fc.weight'


def _clip(**kwargs):
    return MODELS.build(dict(type='FrozenCLIPBackbone', arch=TINY, pretrained=None,
                             embed_dropout=0.0, **kwargs))


def _full_state(clip):
    """A state dict with the frozen tensors in it (as ``convert_slim_checkpoint --to full``)."""
    clip.slim_state_dict = False
    try:
        return {k: v.clone() for k, v in clip.state_dict().items()}
    finally:
        clip.slim_state_dict = True


def _visual(clip):
    return {k: v.clone() for k, v in clip.visual.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _unfrozen_state(shift=0.05):
    """The state dict of the unfrozen ablation after training moved its image tower."""
    unfrozen = _clip(frozen=False)
    with torch.no_grad():
        unfrozen.visual.get_parameter(ALTERED[len('visual.'):]).add_(shift)
    return unfrozen.state_dict(), unfrozen.weights_sha256()


def _refusal(own_sha, their_sha):
    return (rf"(?s){re.escape(ALTERED)}.*config's tower: .*sha256 {own_sha[:16]}"
            rf".*checkpoint's tower: .*from a checkpoint.*sha256 {their_sha[:16]}"
            r'.*adopt_checkpoint_tower=True')


@pytest.fixture
def log_records():
    logger = MMLogger.get_current_instance()
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_altered_full_state_dict_is_refused_by_a_plain_load_state_dict():
    clip = _clip()
    own_sha, before = clip.identity()['sha256'], _visual(clip)
    state = _full_state(clip)
    state[ALTERED] = state[ALTERED] + 1e-3
    theirs = _clip()
    with torch.no_grad():
        theirs.visual.get_parameter(ALTERED[len('visual.'):]).copy_(state[ALTERED])
    their_sha = theirs.weights_sha256()
    with pytest.raises(ValueError, match=_refusal(own_sha, their_sha)):
        clip.load_state_dict(state)
    assert _same(_visual(clip), before)  # refused before any frozen tensor was written
    assert clip.identity()['sha256'] == own_sha == clip.weights_sha256()


def test_full_state_dict_of_the_same_tower_loads_and_keeps_the_bits():
    clip = _clip()
    own = clip.identity()
    state = _full_state(_clip())
    state = {k: (-v if k == 'visual.ln_pre.bias' else v) for k, v in state.items()}
    assert torch.signbit(state['visual.ln_pre.bias']).all()  # -0.0: equal, other bits
    clip.load_state_dict(state, strict=True)
    assert clip.identity() == own == dict(clip.identity(), sha256=clip.weights_sha256())
    assert not clip.tower_from_checkpoint
    assert not any(torch.signbit(clip.visual.ln_pre.bias))  # our bits, not the file's -0.0


def test_bfloat16_tower_compares_after_the_cast():
    state = _full_state(_clip())
    bf16 = _clip(frozen_dtype='bfloat16', frozen_dtype_policy='force')
    own = bf16.identity()
    stored = _visual(bf16)
    # other float32 values that round to the same bfloat16 ones (a change below bf16's step)
    tiny = dict(state, **{ALTERED: state[ALTERED].bfloat16().float() * (1 + 2 ** -12)})
    assert not torch.equal(tiny[ALTERED], state[ALTERED])
    assert torch.equal(tiny[ALTERED].bfloat16(), stored[ALTERED[len('visual.'):]])
    with pytest.raises(ValueError, match=re.escape(ALTERED)):
        _clip().load_state_dict(tiny)  # a float32 tower would store other values
    bf16.load_state_dict(tiny)  # the bf16 tower would store the same values: loads
    assert _same(_visual(bf16), stored) and bf16.identity() == own
    bigger = dict(state, **{ALTERED: state[ALTERED] * (1 + 2 ** -6)})
    with pytest.raises(ValueError, match=re.escape(ALTERED)):
        bf16.load_state_dict(bigger)


def test_unfrozen_checkpoint_is_refused_even_when_its_tower_did_not_move():
    state, their_sha = _unfrozen_state()
    clip = _clip()
    own_sha = clip.identity()['sha256']
    assert their_sha != own_sha
    with pytest.raises(ValueError, match=_refusal(own_sha, their_sha)):
        clip.load_state_dict(state)
    assert decode_identity(state['clip_identity'])['trained_towers'] == ['visual']
    unmoved, _ = _unfrozen_state(shift=0.0)
    with pytest.raises(ValueError, match='saved with visual unfrozen'):
        _clip().load_state_dict(unmoved)
    # the tower it trained stripped out: its trained parts fit no tower on offer
    stripped = {k: v for k, v in state.items() if not k.startswith('visual.')}
    with pytest.raises(ValueError, match='holds none of its tensors'):
        _clip(adopt_checkpoint_tower=True).load_state_dict(stripped)


def test_adopting_the_checkpoints_tower(log_records):
    state, their_sha = _unfrozen_state()
    clip = _clip(adopt_checkpoint_tower=True)
    before = clip.identity()
    clip.load_state_dict(state, strict=True)
    now = clip.identity()
    assert now['sha256'] == their_sha == clip.weights_sha256() != before['sha256']
    assert now['from_checkpoint'] and clip.tower_from_checkpoint
    assert torch.equal(clip.visual.state_dict()[ALTERED[len('visual.'):]], state[ALTERED])
    assert not any(p.requires_grad for p in clip.visual.parameters())  # still frozen
    logged = ' '.join(r.getMessage() for r in log_records)
    assert 'adopted the frozen tower' in logged and their_sha[:16] in logged
    assert before['sha256'][:16] in logged
    # its checkpoints keep the tower (the config cannot rebuild it) and its identity
    saved = clip.state_dict()
    assert decode_identity(saved['clip_identity']) == now
    assert torch.equal(saved[ALTERED], state[ALTERED])
    again = _clip(adopt_checkpoint_tower=True)
    again.load_state_dict(saved, strict=True)
    assert again.identity() == now and _same(_visual(again), _visual(clip))
    clip.load_state_dict(saved, strict=True)  # into the tower it came from: nothing changes
    with pytest.raises(ValueError, match=_refusal(before['sha256'], their_sha)):
        _clip().load_state_dict(saved)
    # a slim checkpoint of the config's tower no longer fits the adopted one
    with pytest.raises(ValueError, match='trained on EPCL-ViT-Tiny'):
        clip.load_state_dict(_clip().state_dict())


def test_adopting_keeps_the_activation_check():
    state, _ = _unfrozen_state()
    with pytest.raises(ValueError, match='activation gelu'):
        _clip(adopt_checkpoint_tower=True, activation='quick_gelu').load_state_dict(state)


def test_pretrained_init_cfg_of_a_parent_cannot_change_the_tower(tmp_path, tiny_encoder_cfg):
    src = MODELS.build(tiny_encoder_cfg)
    state = {f'clip.{k}': v for k, v in _full_state(src.clip).items()}
    state.update((f'tokenizer.{k}', v) for k, v in src.tokenizer.state_dict().items())
    state[f'clip.{ALTERED}'] = state[f'clip.{ALTERED}'] + 1e-3
    path = str(tmp_path / 'altered_full.pth')
    torch.save({'state_dict': state}, path)
    init_cfg = dict(type='Pretrained', checkpoint=path)
    encoder = MODELS.build(dict(tiny_encoder_cfg, init_cfg=init_cfg))
    before = _visual(encoder.clip)
    with pytest.raises(ValueError, match=rf"(?s)clip\.{re.escape(ALTERED)}.*"
                                         r'set model\.clip\.adopt_checkpoint_tower=True'):
        encoder.init_weights()
    assert _same(_visual(encoder.clip), before)
    adopting = MODELS.build(dict(tiny_encoder_cfg, init_cfg=init_cfg,
                                 clip=dict(tiny_encoder_cfg['clip'],
                                           adopt_checkpoint_tower=True)))
    adopting.init_weights()
    assert torch.equal(adopting.clip.visual.state_dict()[ALTERED[len('visual.'):]],
                       state[f'clip.{ALTERED}'])
    assert adopting.clip.identity()['sha256'] == adopting.clip.weights_sha256()
