"""The frozen-tower contract on a second tower family that is not CLIP.

``EPCLTestTransformerTower`` below is the whole of a new family: one class (its towers, its
width, its forward, its identity) and one config delta (``_DELTA``). Freezing, eval mode,
the init guard, slim checkpoints, the frozen-weights check hook and the optimizer
constructor all come from ``BaseFrozenTower``.
"""
import os.path as osp
import re
import sys

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint
from torch import Tensor, nn

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.engine.hooks import EPCLFrozenWeightsCheckHook
from epcl_mmdet3d.models.backbones import BaseFrozenTower

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_models'))
from test_detectors._tiny_detector import make_points, make_sample  # noqa: E402


@MODELS.register_module(name='EPCLTestTransformerTower', force=True)
class EPCLTestTransformerTower(BaseFrozenTower):
    """A seeded random ``torch.nn.TransformerEncoder`` as a frozen tower.

    Towers: ``cls`` (the CLS embedding) and ``encoder``; ``out_norm`` is a trainable part
    of the module that is no tower.
    """

    weights_config_keys = ('seed',)

    def __init__(self, embed_dims: int = 64, num_layers: int = 2, num_heads: int = 4,
                 seed: int = 0, frozen: bool = True, slim_state_dict: bool = True,
                 init_cfg=None) -> None:
        super().__init__(frozen=frozen, slim_state_dict=slim_state_dict, init_cfg=init_cfg)
        self.embed_dims = embed_dims
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.cls = nn.Embedding(1, embed_dims)
            layer = nn.TransformerEncoderLayer(embed_dims, num_heads, 2 * embed_dims,
                                               dropout=0.0, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.out_norm = nn.LayerNorm(embed_dims)
        self.freeze_towers(dict(family='torch.nn.TransformerEncoder', embed_dims=embed_dims,
                                num_layers=num_layers, num_heads=num_heads, seed=seed))

    def towers(self):
        return ['cls', 'encoder']

    def forward(self, tokens: Tensor, pos_embed: Tensor, task_tokens=None) -> Tensor:
        self._check_token_shapes(tokens, pos_embed, task_tokens)
        batch_size, num_tokens, _ = tokens.shape
        parts = [self.cls.weight.expand(batch_size, 1, -1), tokens + pos_embed]  # CLS, M
        if task_tokens is not None:
            parts.append(task_tokens)  # T
        x = self.encoder(torch.cat(parts, dim=1))  # (B, 1 + M + T, D)
        return self.out_norm(x[:, :1 + num_tokens])  # (B, 1 + M, D)


# the one config delta that puts the demo detector on the new family
_DELTA = """
_base_ = [{base!r}]
model = dict(backbone=dict(clip=dict(
    _delete_=True, type='EPCLTestTransformerTower', num_layers=2, num_heads=4, seed=0)))
"""


def _tower(**kwargs):
    return MODELS.build(dict(type='EPCLTestTransformerTower', **kwargs))


def _tower_state(tower: BaseFrozenTower) -> dict:
    """Copies of every tensor of the towers, by name."""
    return {f'{name}.{key}': value.clone() for name in tower.towers()
            for key, value in getattr(tower, name).state_dict().items()}


def test_freezing_and_eval_mode_come_from_the_contract():
    tower = _tower()
    assert tower.frozen_towers() == ['cls', 'encoder']
    towers = list(tower.cls.parameters()) + list(tower.encoder.parameters())
    assert {id(p) for p in tower.frozen_parameters()} == {id(p) for p in towers}
    assert not any(p.requires_grad for p in towers)
    assert all(p.requires_grad for p in tower.out_norm.parameters())
    tower.train()
    assert tower.training and tower.out_norm.training and not tower.encoder.training
    tokens = torch.rand(2, 5, 64, requires_grad=True)
    out = tower(tokens, torch.rand(2, 5, 64), torch.rand(2, 3, 64))
    assert out.shape == (2, 6, 64)
    out.square().mean().backward()
    assert tokens.grad.abs().sum() > 0  # gradients flow through the frozen tower
    assert all(p.grad is None for p in towers)
    with pytest.raises(ValueError, match=r'\(B, M, 64\)'):
        tower(torch.rand(2, 5, 32), torch.rand(2, 5, 32))
    # the unfrozen ablation: the towers train and are hashed now, as built
    unfrozen = _tower(frozen=False).train()
    assert unfrozen.frozen_parameters() == [] and unfrozen.encoder.training
    assert 'sha256' in unfrozen._identity and 'sha256' not in tower._identity
    assert unfrozen.identity()['sha256'] == tower.identity()['sha256']


def test_a_family_must_fulfil_the_contract():
    with pytest.raises(TypeError, match='abstract'):
        BaseFrozenTower()

    class NoWidth(EPCLTestTransformerTower):
        def __init__(self):
            BaseFrozenTower.__init__(self)
            self.freeze_towers({})

    with pytest.raises(TypeError, match='embed_dims'):
        NoWidth()

    class Misnamed(EPCLTestTransformerTower):
        def towers(self):
            return ['cls', 'blocks']

    with pytest.raises(ValueError, match="'blocks', which is not a submodule"):
        Misnamed()


def test_init_guard_keeps_parent_init_cfg_off_the_towers(tiny_encoder_cfg):
    init_cfg = dict(type='Constant', val=0.25, layer=['Linear', 'LayerNorm', 'Embedding'])
    encoder = MODELS.build(dict(tiny_encoder_cfg, init_cfg=init_cfg,
                                clip=dict(type='EPCLTestTransformerTower')))
    before = _tower_state(encoder.clip)
    encoder.init_weights()
    after = _tower_state(encoder.clip)
    assert before.keys() == after.keys() and len(before) > 10
    assert all(torch.equal(before[k], after[k]) for k in before)
    # the walk did reach the non-tower parts, the tower's own included
    assert torch.all(encoder.clip.out_norm.weight == 0.25)
    assert torch.all(encoder.tokenizer.pos_embed[0].weight == 0.25)
    seen = []
    encoder.clip.apply(seen.append)
    assert encoder.clip.out_norm in seen and encoder.clip.encoder not in seen
    with pytest.raises(ValueError, match="override names the tower 'encoder'"):
        _tower(init_cfg=dict(type='Constant', val=1.0, layer='Linear',
                             override=dict(name='encoder'))).init_weights()


def test_slim_state_dict_round_trip_and_identity_refusal():
    src = _tower()
    with torch.no_grad():
        src.out_norm.weight.add_(1.0)
    state = src.state_dict()
    assert sorted(state) == ['out_norm.bias', 'out_norm.weight', 'tower_identity']
    dst = _tower()
    dst.load_state_dict(state, strict=True)
    assert torch.equal(dst.out_norm.weight, src.out_norm.weight)
    with pytest.raises(ValueError, match=r'(?s)trained on .*seed=0.*built from the config has '
                                         r'.*seed=1.*Set seed to the weights'):
        _tower(seed=1).load_state_dict(state)
    src.slim_state_dict = False  # a full state dict loads as into any module
    full = src.state_dict()
    assert 'tower_identity' not in full and 'encoder.layers.0.linear1.weight' in full
    _tower().load_state_dict(full, strict=True)


def test_frozen_tensors_that_differ_are_refused_or_adopted():
    src = _tower(slim_state_dict=False)
    full = src.state_dict()
    name = 'encoder.layers.0.linear1.weight'
    full[name] = full[name] + 1.0
    pristine = _tower().identity()['sha256']
    with pytest.raises(ValueError, match=rf"(?s)'{re.escape(name)}' differs.*config's tower: "
                                         rf".*seed=0, sha256 {pristine[:16]}.*checkpoint's "
                                         r'tower: .*from_checkpoint=True.*adopt_checkpoint_tower'):
        _tower().load_state_dict(full)
    dst = _tower()
    dst.adopt_checkpoint_tower = True
    dst.load_state_dict(full, strict=True)
    assert torch.equal(dst.encoder.layers[0].linear1.weight, full[name])
    assert dst.identity()['sha256'] == dst.weights_sha256() != pristine
    assert dst.identity()['from_checkpoint']
    assert {name, 'tower_identity'} <= set(dst.state_dict())  # the adopted tower is kept


def _model_cfg(tmp_path):
    path = tmp_path / 'epcl_toy-tower_scannet_det_demo.py'
    path.write_text(_DELTA.format(base=osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')))
    init_default_scope('mmdet3d')
    return Config.fromfile(str(path))


class _SnapshotAfterInit(Hook):
    """Copies of the parameters when training starts (after ``init_weights``)."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self.params = {n: p.detach().clone() for n, p in runner.model.named_parameters()}


def test_demo_detector_trains_on_the_new_family_through_a_runner(tmp_path):
    cfg = _model_cfg(tmp_path)
    assert cfg.model.backbone.clip == dict(type='EPCLTestTransformerTower', num_layers=2,
                                           num_heads=4, seed=0)
    boxes = [[1.0, 1.0, 0.5, 0.8, 0.6, 1.0], [3.0, 2.5, 0.4, 1.2, 0.9, 0.8]]
    scenes = [dict(inputs=dict(points=make_points(512, seed=i)),
                   data_samples=make_sample(boxes[:1 + i % 2], [i % 6, (i + 1) % 6][:1 + i % 2]))
              for i in range(4)]
    loader = torch.utils.data.DataLoader(scenes, batch_size=2, collate_fn=pseudo_collate)
    runner = Runner(model=cfg.model, work_dir=str(tmp_path / 'work'), train_dataloader=loader,
                    train_cfg=dict(by_epoch=True, max_epochs=1),
                    optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
                    default_hooks=cfg.default_hooks, default_scope='mmdet3d',
                    randomness=dict(seed=0), cfg=cfg)
    snapshot = _SnapshotAfterInit()
    runner.register_hook(snapshot)
    runner.train()

    model, tower = runner.model, runner.model.backbone.clip
    assert type(tower).__name__ == 'EPCLTestTransformerTower'
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss))
    frozen = {id(p) for p in tower.frozen_parameters()}
    optimised = {id(p) for g in runner.optim_wrapper.optimizer.param_groups for p in g['params']}
    assert frozen and not frozen & optimised
    now = dict(model.named_parameters())
    changed = [n for n, p in now.items() if p.requires_grad
               and not torch.equal(p, snapshot.params[n])]
    assert any(n.startswith('backbone.tokenizer.') for n in changed)
    assert any(n.startswith('bbox_head.') for n in changed)
    assert 'backbone.clip.out_norm.weight' in changed
    for n, p in now.items():
        if id(p) in frozen:
            assert torch.equal(p, snapshot.params[n]), n
    # the frozen tower is bit-identical to one built afresh from the config
    fresh = _tower_state(_tower(num_layers=2, num_heads=4, seed=0))
    built = _tower_state(tower)
    assert fresh.keys() == built.keys()
    assert all(torch.equal(fresh[k], built[k]) for k in fresh)
    # the frozen-weights check hook of our runtime fingerprinted exactly this tower
    hook = next(h for h in runner.hooks if isinstance(h, EPCLFrozenWeightsCheckHook))
    assert len(hook._reference) == len(frozen)

    # the checkpoint the runner wrote is slim and loads into the config's model only
    ckpt = torch.load(osp.join(runner.work_dir, 'epoch_1.pth'), map_location='cpu')
    keys = list(ckpt['state_dict'])
    assert 'backbone.clip.tower_identity' in keys
    assert not any(k.startswith(('backbone.clip.cls.', 'backbone.clip.encoder.')) for k in keys)
    reloaded = MODELS.build(cfg.model)
    load_checkpoint(reloaded, osp.join(runner.work_dir, 'epoch_1.pth'), strict=True)
    assert torch.equal(reloaded.backbone.clip.out_norm.weight, tower.out_norm.weight)
    cfg.model.backbone.clip.seed = 1
    with pytest.raises(ValueError, match='model.backbone.clip.seed'):
        load_checkpoint(MODELS.build(cfg.model), osp.join(runner.work_dir, 'epoch_1.pth'))
