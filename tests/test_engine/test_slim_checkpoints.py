"""Slim checkpoints: no frozen CLIP weights inside, identity checked on every load path."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones.base_frozen_tower import decode_identity

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET = osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')
CLS = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')
TOOL = 'model_converters/convert_slim_checkpoint'


def _build(config, **clip):
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(config)
    cfg.model.backbone.clip.update(clip)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _perturb_trainable(model):
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p))


def _tiny_cls_options(tmp_path):
    """``--cfg-options`` that run the classification demo on 9 tiny synthetic shapes."""
    from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40
    root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(root, train_per_class=2, test_per_class=1, num_points=64,
                                classes=['sphere', 'cube', 'cone'])
    opts = ['model.backbone.tokenizer.num_tokens=8', 'model.backbone.tokenizer.num_neighbors=8',
            'model.num_classes=3', 'model.class_names=[sphere,cube,cone]',
            'param_scheduler.1.T_max=1', 'param_scheduler.1.end=2',
            'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=3']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{key}.dataset.data_root={root}',
                 f'{key}.dataset.pipeline.0.num_points=64', f'{key}.batch_size=3']
    return opts


def test_state_dict_leaves_frozen_towers_out_and_records_identity():
    model = _build(CLS)  # with the text tower
    state = model.state_dict()
    assert not any(k.startswith(('backbone.clip.visual.', 'backbone.clip.text.')) for k in state)
    assert any(k.startswith('backbone.tokenizer.') for k in state)
    identity = decode_identity(state['backbone.clip.clip_identity'])
    assert identity == model.backbone.clip.identity()
    assert identity['arch'] == 'EPCL-ViT-Tiny' and len(identity['sha256']) == 64
    # every trainable parameter is still saved
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable <= set(state)
    # the unfrozen ablation trains the image tower: it is saved in full (the text tower not)
    unfrozen = _build(CLS, frozen=False).state_dict()
    assert any(k.startswith('backbone.clip.visual.') for k in unfrozen)
    assert not any(k.startswith('backbone.clip.text.') for k in unfrozen)


def test_slim_checkpoint_loads_strictly_and_keeps_the_built_tower(tmp_path):
    src = _build(DET)
    _perturb_trainable(src)
    path = str(tmp_path / 'slim.pth')
    torch.save({'state_dict': src.state_dict(), 'meta': {}}, path)
    dst = _build(DET)
    load_checkpoint(dst, path, map_location='cpu', strict=True)
    for (name, a), (_, b) in zip(src.named_parameters(), dst.named_parameters()):
        assert torch.equal(a, b), name
    # other CLIP weights (another seed, another activation): refused, naming both
    for other in (dict(seed=1), dict(activation='quick_gelu')):
        with pytest.raises(ValueError, match='(?s)trained on EPCL-ViT-Tiny.*model built from'):
            load_checkpoint(_build(DET, **other), path, map_location='cpu', strict=False)


def test_mmdet3d_init_model_reads_a_slim_checkpoint(tmp_path):
    from mmdet3d.apis import init_model
    src = _build(DET)
    _perturb_trainable(src)
    path = str(tmp_path / 'slim.pth')
    classes = ['cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf']
    torch.save({'state_dict': src.state_dict(), 'meta': {'dataset_meta': {'classes': classes}}},
               path)
    model = init_model(DET, path, device='cpu')
    assert model.dataset_meta['classes'] == classes
    for (name, a), (_, b) in zip(src.named_parameters(), model.named_parameters()):
        assert torch.equal(a, b), name


def test_mmdet3d_init_model_refuses_a_checkpoint_with_another_tower(tmp_path):
    from mmdet3d.apis import init_model
    model = _build(DET)
    name = 'backbone.clip.visual.transformer.resblocks.0.attn.in_proj_weight'
    model.backbone.clip.slim_state_dict = False
    state = model.state_dict()
    state[name] = state[name] * 1.01
    path = str(tmp_path / 'altered_full.pth')
    classes = ['cabinet', 'bed', 'chair', 'sofa', 'table', 'bookshelf']
    torch.save({'state_dict': state, 'meta': {'dataset_meta': {'classes': classes}}}, path)
    with pytest.raises(ValueError, match=rf"(?s){re.escape(name)}' differs.*config's tower: "
                                         r".*checkpoint's tower: .*from a checkpoint"):
        init_model(DET, path, device='cpu')
    adopted = init_model(DET, path, device='cpu', cfg_options={
        'model.backbone.clip.adopt_checkpoint_tower': True})
    assert torch.equal(adopted.state_dict(keep_vars=False)[name], state[name])


def test_converter_full_to_slim_and_back(tmp_path, load_tool):
    tool = load_tool(TOOL)
    model = _build(CLS)
    _perturb_trainable(model)
    with tool.full_state_dicts(model):
        full = model.state_dict()
    assert any(k.startswith('backbone.clip.visual.') for k in full)
    src = str(tmp_path / 'full.pth')
    torch.save({'state_dict': full, 'meta': {'epoch': 3}, 'optimizer': {'state': {}}}, src)
    slim_path, back_path = str(tmp_path / 'slim.pth'), str(tmp_path / 'back.pth')
    tool.main([CLS, src, slim_path, '--to', 'slim'])
    slim = torch.load(slim_path, weights_only=True)
    assert slim['meta'] == {'epoch': 3} and 'optimizer' in slim
    assert list(slim['state_dict']) == list(model.state_dict())
    tool.main([CLS, slim_path, back_path, '--to', 'full'])
    back = torch.load(back_path, weights_only=True)['state_dict']
    assert list(back) == list(full)
    assert all(torch.equal(back[k], full[k]) for k in full)
    # a full checkpoint trained on other CLIP weights cannot become slim for this config
    other = _build(CLS, seed=1)
    with tool.full_state_dicts(other):
        torch.save({'state_dict': other.state_dict()}, src)
    with pytest.raises(ValueError, match='differs from the one the config loads'):
        tool.main([CLS, src, slim_path, '--to', 'slim'])
    with pytest.raises(ValueError, match='slim already'):
        tool.main([CLS, slim_path, str(tmp_path / 'again.pth'), '--to', 'slim'])


def test_converter_names_a_truncated_checkpoint(tmp_path, load_tool):
    src = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, src)
    src.write_bytes(src.read_bytes()[:500])
    with pytest.raises(FileNotFoundError, match=r'cannot convert .*cut\.pth: the file is '
                                                r'truncated'):
        load_tool(TOOL).main([CLS, str(src), str(tmp_path / 'out.pth'), '--to', 'slim'])


@pytest.mark.slow
def test_checkpoint_hook_resume_load_from_and_test_tool(load_tool, tmp_path, capsys):
    """tools/train.py (CheckpointHook), --resume, load_from and tools/test.py on slim files."""
    work = str(tmp_path / 'work')
    opts = _tiny_cls_options(tmp_path)
    train = load_tool('train')
    train.main([CLS, '--work-dir', work, '--cfg-options', 'train_cfg.max_epochs=1',
                'train_cfg.val_interval=1', *opts])
    first = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu')
    keys = list(first['state_dict'])
    assert 'backbone.clip.clip_identity' in keys
    assert not any(k.startswith('backbone.clip.') and k != 'backbone.clip.clip_identity'
                   for k in keys)
    assert first['optimizer']['state']  # optimizer state as usual

    train.main([CLS, '--work-dir', work, '--resume', '--cfg-options',
                'train_cfg.max_epochs=2', 'train_cfg.val_interval=1', *opts])
    second = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu')
    assert second['meta']['epoch'] == 2
    capsys.readouterr()
    load_tool('test').main([CLS, osp.join(work, 'epoch_2.pth'), '--work-dir',
                            str(tmp_path / 'test'), '--cfg-options', *opts])
    assert 'cls/overall_acc' in capsys.readouterr().out
    # load_from into a model whose frozen CLIP is other weights: refused, not silently run
    with pytest.raises(ValueError, match='trained on EPCL-ViT-Tiny'):
        train.main([CLS, '--work-dir', str(tmp_path / 'other'), '--cfg-options',
                    'train_cfg.max_epochs=1', f'load_from={osp.join(work, "epoch_2.pth")}',
                    'model.backbone.clip.seed=7', *opts])


@pytest.mark.slow
def test_unfrozen_checkpoint_into_the_frozen_config(load_tool, tmp_path):
    """The issue's repro: load_from / --resume a checkpoint of the unfrozen ablation into
    the frozen config is refused, naming both identities; adopt_checkpoint_tower=True takes
    its tower, and the run's checkpoints carry it and its identity, and reload."""
    opts = _tiny_cls_options(tmp_path)
    train = load_tool('train')
    unfrozen = str(tmp_path / 'wd_u')
    train.main([CLS, '--work-dir', unfrozen, '--cfg-options', 'train_cfg.max_epochs=1',
                'model.backbone.clip.frozen=False', 'optim_wrapper.optimizer.lr=0.01', *opts])
    ckpt = osp.join(unfrozen, 'epoch_1.pth')
    trained = torch.load(ckpt, map_location='cpu')['state_dict']
    own_sha = _build(CLS).backbone.clip.identity()['sha256']  # the frozen config's tower
    theirs = _build(CLS, frozen=False).backbone.clip  # no checks on a tower that trains
    prefix = 'backbone.clip.'
    theirs.load_state_dict({k[len(prefix):]: v for k, v in trained.items()
                            if k.startswith(prefix)}, strict=True)
    their_sha = theirs.weights_sha256()
    assert their_sha != own_sha  # the unfrozen run changed its tower
    refusal = (rf"(?s)backbone\.clip\.visual\..*saved with visual unfrozen.*config's tower: "
               rf".*sha256 {own_sha[:16]}.*checkpoint's tower: .*sha256 {their_sha[:16]}"
               r'.*model\.backbone\.clip\.adopt_checkpoint_tower=True')
    with pytest.raises(ValueError, match=refusal):
        train.main([CLS, '--work-dir', str(tmp_path / 'wd_f'), '--cfg-options',
                    'train_cfg.max_epochs=1', f'load_from={ckpt}', *opts])
    with pytest.raises(ValueError, match=refusal):
        train.main([CLS, '--work-dir', str(tmp_path / 'wd_r'), '--resume', ckpt,
                    '--cfg-options', 'train_cfg.max_epochs=2', *opts])

    adopted = str(tmp_path / 'wd_a')
    adopt = 'model.backbone.clip.adopt_checkpoint_tower=True'
    train.main([CLS, '--work-dir', adopted, '--cfg-options', 'train_cfg.max_epochs=1',
                f'load_from={ckpt}', adopt, *opts])
    log = open(glob.glob(osp.join(adopted, '*', '*.log'))[0]).read()
    assert re.search(rf'adopted the frozen tower .*was .*{own_sha[:16]}.*now .*'
                     rf'from a checkpoint.*{their_sha[:16]}', log)
    first = torch.load(osp.join(adopted, 'epoch_1.pth'), map_location='cpu')['state_dict']
    identity = decode_identity(first['backbone.clip.clip_identity'])
    assert identity['sha256'] == their_sha and identity['from_checkpoint']
    assert all(torch.equal(first[k], v) for k, v in trained.items()
               if k.startswith('backbone.clip.visual.'))  # the adopted tower, kept frozen
    # reload: with the option, the checkpoint's tower; without, refused naming both
    config = Config.fromfile(osp.join(adopted, 'epcl_modelnet40_cls_demo.py'))
    model = MODELS.build(config.model)
    load_checkpoint(model, osp.join(adopted, 'epoch_1.pth'), map_location='cpu', strict=True)
    assert model.backbone.clip.identity() == identity
    assert model.backbone.clip.weights_sha256() == their_sha
    config.model.backbone.clip.adopt_checkpoint_tower = False
    with pytest.raises(ValueError, match=rf"(?s)config's tower: .*sha256 {own_sha[:16]}.*"
                                         rf"checkpoint's tower: .*sha256 {their_sha[:16]}"):
        load_checkpoint(MODELS.build(config.model), osp.join(adopted, 'epoch_1.pth'))
    # and the adopted run resumes
    train.main([CLS, '--work-dir', adopted, '--resume', '--cfg-options',
                'train_cfg.max_epochs=2', adopt, *opts])
    second = torch.load(osp.join(adopted, 'epoch_2.pth'), map_location='cpu')['state_dict']
    assert decode_identity(second['backbone.clip.clip_identity']) == identity
