"""The frozen tower is built as its weights were trained (activation), and says which CLIP it is."""
import open_clip
import pytest
import torch

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.models.backbones import FrozenCLIPBackbone
from epcl_mmdet3d.models.backbones.base_frozen_tower import state_sha256
from epcl_mmdet3d.models.backbones.clip_weights import (
    built_activation,
    create_kwargs,
    resolved_model_cfg,
    save_clip_file,
    tag_activation,
)

TINY = 'EPCL-ViT-Tiny'

# (arch, tag, what the weights were trained with): OpenAI's CLIP used QuickGELU, LAION's
# open_clip runs exact GELU; the third column is the published fact the metadata must agree with.
PAIRS = [('ViT-B-16', 'openai', 'quick_gelu'),
         ('ViT-B-32', 'openai', 'quick_gelu'),
         ('ViT-L-14', 'openai', 'quick_gelu'),
         ('ViT-B-16-quickgelu', 'openai', 'quick_gelu'),
         ('ViT-B-16', 'laion2b_s34b_b88k', 'gelu'),
         ('ViT-B-32', 'laion2b_s34b_b79k', 'gelu')]


@pytest.mark.parametrize('arch,tag,trained_as', PAIRS)
def test_tag_activation_follows_open_clip_metadata(arch, tag, trained_as):
    meta = open_clip.get_pretrained_cfg(arch, tag)
    assert meta.get('quick_gelu', False) == (trained_as == 'quick_gelu')
    assert tag_activation(arch, tag) == trained_as
    # the model config we would build has that activation, whatever the arch's default
    assert resolved_model_cfg(arch, trained_as)['quick_gelu'] == (trained_as == 'quick_gelu')


@pytest.mark.parametrize('arch,tag,trained_as', PAIRS)
def test_built_tower_has_the_tags_activation(arch, tag, trained_as):
    """Build the network exactly as the tag path does (same create kwargs), random weights."""
    with torch.device('meta'):  # shapes only: no memory, no init cost
        model = open_clip.create_model(arch, pretrained=None, device='meta',
                                       **create_kwargs(arch, tag_activation(arch, tag)))
    assert built_activation(model.visual) == trained_as
    assert built_activation(model.transformer) == trained_as  # the text tower too


def test_contradictions_are_refused():
    with pytest.raises(ValueError, match='trained with quick_gelu.*activation=.gelu'):
        FrozenCLIPBackbone('ViT-B-16', pretrained='openai', activation='gelu')
    with pytest.raises(ValueError, match='QuickGELU architecture'):
        create_kwargs('ViT-B-16-quickgelu', 'gelu')
    with pytest.raises(ValueError, match='activation must be one of'):
        create_kwargs('ViT-B-16', 'relu')


def test_random_tower_is_seeded_and_built_as_asked():
    a = FrozenCLIPBackbone(TINY, pretrained=None, with_text=True)
    b = FrozenCLIPBackbone(TINY, pretrained=None, with_text=True)
    quick = FrozenCLIPBackbone(TINY, pretrained=None, activation='quick_gelu')
    assert a.identity()['sha256'] == b.identity()['sha256']  # rebuilt identically
    assert a.identity()['sha256'] != FrozenCLIPBackbone(TINY, None, seed=1).identity()['sha256']
    assert built_activation(a.visual) == 'gelu' and built_activation(a.text) == 'gelu'
    assert built_activation(quick.visual) == 'quick_gelu' and quick.activation == 'quick_gelu'
    assert a.identity()['activation'] == 'gelu' and a.identity()['seed'] == 0


def _export(tmp_path, **kwargs):
    src = FrozenCLIPBackbone(TINY, pretrained=None, embed_dropout=0.0, with_text=True,
                             **kwargs).eval()
    state = {**src.text.state_dict(),  # open_clip's key layout: text keys, then visual.*
             **{f'visual.{k}': v for k, v in src.visual.state_dict().items()}}
    path = str(tmp_path / 'tiny_export.pth')
    save_clip_file(state, src.identity(), path)
    return src, path


def test_exported_file_rebuilds_the_same_tower_bit_for_bit(tmp_path):
    src, path = _export(tmp_path, activation='quick_gelu')
    meta = torch.load(path, weights_only=True)['epcl_clip']
    assert meta['arch'] == TINY and meta['activation'] == 'quick_gelu'
    assert meta['sha256'] == state_sha256(torch.load(path, weights_only=True)['state_dict'])
    with _no_activation_warning():
        rebuilt = FrozenCLIPBackbone(TINY, pretrained=path, embed_dropout=0.0,
                                     with_text=True).eval()
    assert rebuilt.activation == 'quick_gelu'
    assert built_activation(rebuilt.visual) == 'quick_gelu'
    assert rebuilt.identity()['sha256'] == src.identity()['sha256']
    tokens, pos = torch.rand(2, 10, 64), torch.rand(2, 10, 64)
    assert torch.equal(rebuilt(tokens, pos), src(tokens, pos))
    texts = ['a point cloud of a chair']
    assert torch.equal(rebuilt.encode_text(texts), src.encode_text(texts))


class _no_activation_warning:
    """Fail if a warning about an assumed activation is raised inside the block."""

    def __enter__(self):
        import warnings
        self._ctx = warnings.catch_warnings(record=True)
        self._log = self._ctx.__enter__()
        warnings.simplefilter('always')

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        assert not [w for w in self._log if 'ASSUMING' in str(w.message)]


def test_exported_file_refuses_a_config_asking_for_something_else(tmp_path):
    _, path = _export(tmp_path, activation='quick_gelu')
    with pytest.raises(ValueError, match="trained with quick_gelu.*activation='gelu'"):
        FrozenCLIPBackbone(TINY, pretrained=path, activation='gelu')
    with pytest.raises(ValueError, match="holds EPCL-ViT-Tiny weights.*arch='ViT-B-16'"):
        FrozenCLIPBackbone('ViT-B-16', pretrained=path)
    # an edited file no longer matches its recorded SHA-256
    blob = torch.load(path, weights_only=True)
    blob['state_dict']['visual.proj'] = blob['state_dict']['visual.proj'] + 1
    torch.save(blob, path)
    with pytest.raises(ValueError, match='do not match the SHA-256'):
        FrozenCLIPBackbone(TINY, pretrained=path)


def test_bare_state_dict_loads_with_a_loud_warning(tiny_clip_checkpoint):
    with pytest.warns(UserWarning, match="ASSUMING 'gelu'.*activation='quick_gelu'"):
        clip = FrozenCLIPBackbone(TINY, pretrained=tiny_clip_checkpoint)
    assert clip.activation == 'gelu'
    with _no_activation_warning():  # stated in the config: no warning, and it is used
        stated = FrozenCLIPBackbone(TINY, pretrained=tiny_clip_checkpoint,
                                    activation='quick_gelu')
    assert built_activation(stated.visual) == 'quick_gelu'


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_weights_holding_nan_or_inf_are_refused(tmp_path, tiny_clip_checkpoint, value):
    state = torch.load(tiny_clip_checkpoint, weights_only=True)
    state['visual.transformer.resblocks.1.mlp.c_fc.weight'][3, 5] = value
    path = tmp_path / 'broken.pt'
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"'visual.transformer.resblocks.1.mlp.c_fc.weight' "
                                         r'holds 1 NaN/Inf'):
        FrozenCLIPBackbone(TINY, pretrained=str(path), activation='gelu')


def test_export_tool_from_a_bare_file(load_tool, tmp_path, tiny_clip_checkpoint, capsys):
    tool = load_tool('model_converters/export_clip_weights')
    out = str(tmp_path / 'exported.pth')
    with pytest.raises(SystemExit):  # a bare file cannot say its activation
        tool.main([TINY, tiny_clip_checkpoint, out])
    assert '--activation' in capsys.readouterr().err
    tool.main([TINY, tiny_clip_checkpoint, out, '--activation', 'gelu', '--visual-only'])
    meta = torch.load(out, weights_only=True)['epcl_clip']
    assert meta['activation'] == 'gelu' and meta['visual_only']
    reference = FrozenCLIPBackbone(TINY, pretrained=tiny_clip_checkpoint, activation='gelu')
    rebuilt = FrozenCLIPBackbone(TINY, pretrained=out)
    assert rebuilt.identity()['sha256'] == reference.identity()['sha256']


# the reproductions build OpenAI ViT-B/32, as the authors' released code loads it; the
# *_vit-b16.py deltas build ViT-B/16
REAL_CONFIGS = [('epcl_scannet_det.py', 'ViT-B-32'), ('epcl_scannet_det_color.py', 'ViT-B-32'),
                ('epcl_s3dis_seg.py', 'ViT-B-32'), ('epcl_modelnet40_cls.py', 'ViT-B-32'),
                ('ablations/epcl_scannet_det_clip-unfrozen.py', 'ViT-B-32'),
                ('ablations/epcl_modelnet40_cls_clip-unfrozen.py', 'ViT-B-32'),
                ('ablations/epcl_scannet_det_no-task-token.py', 'ViT-B-32'),
                ('epcl_scannet_det_vit-b16.py', 'ViT-B-16'),
                ('epcl_s3dis_seg_vit-b16.py', 'ViT-B-16'),
                ('epcl_modelnet40_cls_vit-b16.py', 'ViT-B-16')]


@pytest.mark.parametrize('name,arch', REAL_CONFIGS)
def test_real_configs_build_openai_clip_with_quick_gelu(name, arch):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    clip = Config.fromfile(osp.join(root, 'configs', name)).model.backbone.clip
    assert (clip.arch, clip.pretrained) == (arch, 'openai')
    # the activation is the tag's (nothing in the config contradicts it)
    assert clip.get('activation') in (None, 'quick_gelu')
    assert tag_activation(clip.arch, clip.pretrained) == 'quick_gelu'
    assert create_kwargs(clip.arch, 'quick_gelu') == {'force_quick_gelu': True}


def test_identity_hashes_the_weights_as_loaded(tiny_clip_cfg):
    """bf16 storage and the unfrozen ablation hash at build; frozen fp32 on first use.
    All three name the same CLIP, so a checkpoint of one loads into the others."""
    from mmdet3d.registry import MODELS
    fp32 = MODELS.build(tiny_clip_cfg)
    assert 'sha256' not in fp32._identity  # not hashed yet: building stays cheap
    bf16 = MODELS.build(dict(tiny_clip_cfg, frozen_dtype='bfloat16',
                            frozen_dtype_policy='force'))  # on any CPU
    unfrozen = MODELS.build(dict(tiny_clip_cfg, frozen=False))
    with torch.no_grad():
        unfrozen.visual.proj.add_(1.0)  # training moves it; its identity stays the source's
    shas = {m.identity()['sha256'] for m in (fp32, bf16, unfrozen)}
    assert len(shas) == 1
    bf16.load_state_dict(fp32.state_dict())  # slim: identity checked, bf16 weights kept
    assert bf16.visual.proj.dtype == torch.bfloat16
