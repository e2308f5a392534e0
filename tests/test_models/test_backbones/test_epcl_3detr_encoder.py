"""EPCL3DETREncoder: 3DETR's encoder (plain and masked) on mmdet3d's set abstraction."""
import pytest
import torch
from mmdet3d.registry import MODELS
from torch import nn

import epcl_mmdet3d  # noqa: F401
import epcl_mmdet3d.ops.enable_mmcv_cpu_fallback  # noqa: F401  (mmcv's point ops on CPU)


def encoder_cfg(masked=False, num_point=16, width=32, num_layers=3):
    cfg = dict(
        type='EPCL3DETREncoder',
        pre_encoder=dict(type='PointSAModule', num_point=num_point, radius=0.8,
                         num_sample=8, mlp_channels=[0, 16, width], normalize_xyz=True),
        num_layers=num_layers, num_heads=4, ffn_channels=16, dropout=0.0)
    if masked:
        cfg.update(masking_radii=(0.16, 0.64, 1.44)[:num_layers],
                   interim_sa=dict(type='PointSAModule', num_point=num_point // 2,
                                   radius=1.0, num_sample=4,
                                   mlp_channels=[width, width, width], normalize_xyz=True))
    return cfg


def build(cfg):
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_fps_centres_of_a_hand_worked_cloud():
    """FPS starts at point 0 and takes the farthest point next: centres 0 and 2."""
    enc = build(encoder_cfg(num_point=2))
    points = torch.tensor([[[0.0, 0, 0], [1.0, 0, 0], [5.0, 0, 0], [0.5, 0, 0]]])  # (1, 4, 3)
    out = enc(points)
    assert out['indices'].tolist() == [[0, 2]]
    torch.testing.assert_close(out['centers'], torch.tensor([[[0.0, 0, 0], [5.0, 0, 0]]]))
    assert out['patch_feats'].shape == (1, 2, 32)


@pytest.mark.parametrize('masked', [False, True])
def test_output_contract(masked):
    enc = build(encoder_cfg(masked=masked))
    assert enc.embed_dims == 32 and enc.in_channels == 3
    points = torch.rand(2, 200, 3) * 2  # (B, N, 3)
    out = enc(points)
    tokens = 8 if masked else 16  # the masked encoder halves the centres after layer 0
    assert out['centers'].shape == (2, tokens, 3)
    assert out['patch_feats'].shape == (2, tokens, 32)
    assert out['indices'].shape == (2, tokens) and out['indices'].dtype == torch.long
    # every centre is an input point, and the indices say which (also through the
    # interim set abstraction)
    picked = points.gather(1, out['indices'][..., None].expand(-1, -1, 3))
    torch.testing.assert_close(out['centers'], picked)
    assert torch.isfinite(out['patch_feats']).all()


def test_radius_mask_of_a_hand_worked_case():
    """Distances 0-1: 0.1, 0-2 and 1-2: 0.5 / 0.4, point 3 two metres away."""
    enc = build(encoder_cfg())
    xyz = torch.tensor([[[0.0, 0, 0], [0.1, 0, 0], [0.5, 0, 0], [0.0, 0, 2]],
                        [[0.0, 0, 0], [0.0, 0, 0], [0.0, 0, 0], [0.0, 0, 0]]])  # (2, 4, 3)
    allowed_016 = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    allowed_064 = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]])
    for radius, allowed in ((0.16, allowed_016), (0.64, allowed_064), (1.44, allowed_064)):
        mask = enc.radius_mask(xyz, radius)
        assert mask.shape == (2 * 4, 4, 4) and mask.dtype == torch.bool
        for head in range(4):  # the heads of scene 0 first, then those of scene 1
            assert torch.equal(~mask[head], allowed.bool()), (radius, head)
            assert not mask[4 + head].any()  # scene 1: every token in every ball
    # strict: a token exactly at the radius is outside (3DETR: blocked if dist >= radius)
    assert enc.radius_mask(xyz[:1], 0.5)[0, 0, 2]


def test_masked_layer_ignores_tokens_outside_its_ball():
    """Scene 0: token 3 is 2 m from token 0; changing it leaves token 0's output alone
    under a 0.64 m mask, and changes it unmasked. Scene 1 (all tokens together) sits in
    the same batch, so a mask laid out head-major instead of scene-major would fail."""
    enc = build(encoder_cfg()).eval()
    xyz = torch.tensor([[[0.0, 0, 0], [0.1, 0, 0], [0.5, 0, 0], [0.0, 0, 2]],
                        [[0.0, 0, 0], [0.1, 0, 0], [0.2, 0, 0], [0.3, 0, 0]]])
    tokens = torch.randn(2, 4, 32)
    moved = tokens.clone()
    moved[0, 3] = torch.randn(32)  # not a constant shift: the LayerNorm would undo that
    layer = enc.layers[0]
    mask = enc.radius_mask(xyz, 0.64)
    with torch.no_grad():
        masked = layer(tokens, attn_masks=[mask]), layer(moved, attn_masks=[mask])
        unmasked = layer(tokens, attn_masks=[None]), layer(moved, attn_masks=[None])
    torch.testing.assert_close(masked[0][0, :3], masked[1][0, :3])
    assert not torch.allclose(unmasked[0][0, 0], unmasked[1][0, 0])


def test_layer_is_3detr_pre_norm_layer():
    """x + MHA(LN1(x)) (values normed too, no positional term), then
    + linear2(relu(linear1(LN2(.)))), as 3DETR's TransformerEncoderLayer.forward_pre."""
    enc = build(encoder_cfg()).eval()
    layer = enc.layers[0]
    mha = layer.attentions[0].attn
    norm1, norm2 = layer.norms
    linear1, linear2 = layer.ffns[0].layers[0][0], layer.ffns[0].layers[1]
    x = torch.randn(2, 5, 32)  # (B, M, D)
    mask = enc.radius_mask(torch.rand(2, 5, 3), 0.7)
    with torch.no_grad():
        h = norm1(x).transpose(0, 1)  # (M, B, D): 3DETR's layout
        y = x + mha(h, h, h, attn_mask=mask)[0].transpose(0, 1)
        y = y + linear2(torch.relu(linear1(norm2(y))))
        torch.testing.assert_close(layer(x, attn_masks=[mask]), y)


def test_transformer_weights_get_xavier_init():
    enc = build(encoder_cfg(width=64))
    weight = enc.layers[0].ffns[0].layers[0][0].weight  # (16, 64)
    bound = (6 / (16 + 64)) ** 0.5
    assert weight.abs().max() <= bound and weight.abs().max() > 0.8 * bound


def test_extra_channels_reach_the_pre_encoder():
    cfg = encoder_cfg()
    cfg['pre_encoder']['mlp_channels'] = [3, 16, 32]  # xyz + RGB
    enc = build(cfg).eval()
    assert enc.in_channels == 6
    points = torch.rand(1, 100, 6)
    recoloured = points.clone()
    recoloured[..., 3:] = torch.rand(1, 100, 3)
    with torch.no_grad():
        assert not torch.allclose(enc(points)['patch_feats'],
                                  enc(recoloured)['patch_feats'])


def test_config_is_not_mutated_by_building():
    """mmdet3d's SA adds the 3 xyz channels in place; two builds from one config agree."""
    cfg = encoder_cfg()
    first, second = build(cfg), build(cfg)
    assert cfg['pre_encoder']['mlp_channels'] == [0, 16, 32]
    assert first.pre_encoder.mlps[0].layer0.conv.in_channels == 3
    assert second.pre_encoder.mlps[0].layer0.conv.in_channels == 3


def test_errors_say_what_to_change():
    enc = build(encoder_cfg())
    with pytest.raises(ValueError, match='use_dim'):
        enc(torch.rand(1, 100, 6))
    with pytest.raises(ValueError, match='one radius per layer'):
        build(dict(encoder_cfg(), masking_radii=(0.16, 0.64)))
    bad = encoder_cfg(masked=True)
    bad['interim_sa']['mlp_channels'] = [32, 64]
    with pytest.raises(ValueError, match='must\nstart and end|start and end'):
        build(bad)
    with pytest.raises(ValueError, match='num_heads'):
        build(dict(encoder_cfg(), num_heads=5))


def test_trains_inside_the_detector():
    """EPCL3DETRDetector reads the encoder as it reads EPCLEncoder; every parameter of
    encoder and head gets a gradient, nothing is frozen."""
    from mmdet3d.structures import DepthInstance3DBoxes, Det3DDataSample
    from mmdet3d.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='EPCL3DETRDetector', data_preprocessor=dict(type='Det3DDataPreprocessor'),
        backbone=encoder_cfg(masked=True),
        bbox_head=dict(type='EPCL3DETRHead', num_classes=3, num_queries=8, embed_dims=32,
                       decoder=dict(num_layers=2, num_heads=4, ffn_channels=32, dropout=0.0),
                       mlp_channels=32, mlp_dropout=0.0, in_norm=False,
                       proj_hidden_layers=1)))
    model.train()
    assert model.bbox_head.memory_proj.layers[0].in_channels == 32  # the encoder's width
    assert isinstance(model.bbox_head.in_norm, nn.Identity)
    assert sum(isinstance(m, nn.Conv1d) for m in model.bbox_head.memory_proj.layers) == 2
    samples = []
    for _ in range(2):
        sample = Det3DDataSample()
        gt = InstanceData()
        gt.bboxes_3d = DepthInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.5, 0.6, 0.6, 0.8]]),
                                            box_dim=6, with_yaw=False, origin=(0.5, 0.5, 0.5))
        gt.labels_3d = torch.tensor([1])
        sample.gt_instances_3d = gt
        samples.append(sample)
    points = [torch.rand(300, 3) * 2 for _ in range(2)]
    losses = model.loss(dict(points=points), samples)
    sum(losses.values()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert not no_grad, no_grad
    assert all(p.requires_grad for p in model.parameters())
