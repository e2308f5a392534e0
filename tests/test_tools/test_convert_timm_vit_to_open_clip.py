import os.path as osp
import warnings

import pytest
import torch
from mmdet3d.registry import MODELS

import epcl_mmdet3d  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


TOOL = 'model_converters/convert_timm_vit_to_open_clip'


def test_converted_timm_vit_loads_and_computes_the_same(tmp_path, load_tool):
    timm = pytest.importorskip('timm')
    torch.manual_seed(0)
    # A timm ViT shaped like the tiny test CLIP (width 64, 2 layers, 2 heads, 8 px patches).
    vit = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10).eval()
    state = load_tool(TOOL).convert_timm_vit(vit.state_dict(), proj_dims=32)
    path = tmp_path / 'vit.pth'
    torch.save(state, path)
    # FrozenCLIPBackbone loads the file strictly: every key and shape fits.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        MODELS.build(dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny',
                          pretrained=str(path), embed_dropout=0.0))
    # The open_clip blocks filled with timm's weights compute what timm's blocks do.
    import open_clip
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        visual = open_clip.create_model('EPCL-ViT-Tiny', pretrained=None).visual.eval()
    visual.load_state_dict({k[len('visual.'):]: v for k, v in state.items()})
    x = torch.randn(2, 5, 64)  # (B, L, D)
    with torch.no_grad():
        torch.testing.assert_close(visual.transformer(x), vit.blocks(x), atol=1e-4,
                                   rtol=1e-4)
    assert (visual.ln_pre.weight == 1).all() and (visual.ln_pre.bias == 0).all()


def test_unknown_keys_are_rejected(load_tool):
    with pytest.raises(ValueError, match='no open_clip counterpart'):
        load_tool(TOOL).convert_timm_vit({'blocks.0.ls1.gamma': torch.ones(4)}, proj_dims=4)


def test_main_writes_a_file_that_says_what_it_is(load_tool, tmp_path):
    timm = pytest.importorskip('timm')
    torch.manual_seed(0)
    vit = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10)
    src, out = str(tmp_path / 'timm_vit.pth'), str(tmp_path / 'converted.pth')
    torch.save(vit.state_dict(), src)
    load_tool(TOOL).main([out, '--checkpoint', src, '--proj-dims', '32',
                          '--arch', 'EPCL-ViT-Tiny'])
    meta = torch.load(out, weights_only=True)['epcl_clip']
    assert (meta['arch'], meta['activation'], meta['tag']) == ('EPCL-ViT-Tiny', 'gelu',
                                                              'timm:timm_vit.pth')
    clip = MODELS.build(dict(type='FrozenCLIPBackbone', arch='EPCL-ViT-Tiny', pretrained=out))
    assert clip.activation == 'gelu' and clip.identity()['tag'] == 'timm:timm_vit.pth'
