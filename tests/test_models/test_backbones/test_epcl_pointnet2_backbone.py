"""EPCLPointNet2Backbone returns PointNet2SASSG's contract, and mmdet3d's heads take it."""
import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.hub import get_config

import epcl_mmdet3d.ops.enable_mmcv_cpu_fallback  # noqa: F401  (heads run on CPU)

TINY = 'EPCL-ViT-Tiny'


def _backbone(tiny_clip_cfg, in_channels=4, out_channels=32, tokenizer=None, **kwargs):
    tokenizer = tokenizer or dict(type='EPCLTokenizer', num_tokens=32, num_neighbors=8)
    return MODELS.build(dict(
        type='EPCLPointNet2Backbone', in_channels=in_channels, out_channels=out_channels,
        encoder=dict(type='EPCLEncoder', tokenizer=tokenizer,
                     task_token=dict(type='EPCLTaskToken', num_tokens=2), clip=tiny_clip_cfg),
        **kwargs))


def _hierarchical():
    return dict(type='EPCLHierarchicalTokenizer', num_points=(96, 64, 32, 16),
                num_neighbors=(8, 8, 8, 8), level_channels=(8, 16, 24),
                level_hidden=((8, 8), (8, 8), (16, 16)), token_hidden=(16, 32), pos_hidden=16)


def _assert_indices_point_at_xyz(out, points):
    for xyz, idx in zip(out['sa_xyz'], out['sa_indices']):
        assert idx.dtype == torch.int64 and idx.shape == xyz.shape[:2]
        picked = torch.gather(points[..., :3], 1, idx.unsqueeze(-1).expand(-1, -1, 3))
        assert torch.equal(picked, xyz)


def test_same_keys_and_seed_layout_as_pointnet2_sassg(tiny_clip_cfg):
    points = torch.rand(2, 256, 4)
    reference = MODELS.build(dict(
        type='PointNet2SASSG', in_channels=4, num_points=(64, 32), radius=(0.2, 0.4),
        num_samples=(8, 8), sa_channels=((16, 32), (32, 32)), fp_channels=((32, ), )))
    ref = reference(points)
    out = _backbone(tiny_clip_cfg)(points)
    assert set(out) == set(ref)
    for key in ('fp_xyz', 'fp_features', 'fp_indices'):
        assert out[key][-1].dim() == ref[key][-1].dim()
    assert out['fp_xyz'][-1].shape == (2, 32, 3)
    assert out['fp_features'][-1].shape == (2, 32, 32)  # (B, out_channels, M)
    assert out['fp_indices'][-1].shape == (2, 32)
    # level 0 is the input, its features the channels after xyz, as PointNet2SASSG's
    assert torch.equal(out['sa_features'][0], ref['sa_features'][0])
    assert torch.equal(out['sa_indices'][0], ref['sa_indices'][0])
    _assert_indices_point_at_xyz(out, points)


def test_vote_head_takes_the_seeds(tiny_clip_cfg):
    # mmdet3d's own VoteNet head, narrowed to the tiny backbone's 32 channels
    head_cfg = get_config('mmdet3d::_base_/models/votenet.py').model.bbox_head
    head_cfg.update(
        num_classes=3, train_cfg=dict(sample_mode='vote'), test_cfg=dict(sample_mode='seed'),
        bbox_coder=dict(type='PartialBinBasedBBoxCoder', num_sizes=3, num_dir_bins=1,
                        with_rot=False, mean_sizes=[[1., 1, 1]] * 3))
    head_cfg.vote_module_cfg.update(in_channels=32, conv_channels=(32, 32))
    head_cfg.vote_aggregation_cfg.update(num_point=16, mlp_channels=[32, 16])
    head_cfg.pred_layer_cfg.update(in_channels=16, shared_conv_channels=(16, ))
    head = MODELS.build(head_cfg)
    preds = head(_backbone(tiny_clip_cfg)(torch.rand(2, 256, 4)))
    assert preds['seed_points'].shape == (2, 32, 3)
    assert preds['aggregated_points'].shape == (2, 16, 3)


def test_hierarchical_levels_feed_pointnet2_head(tiny_clip_cfg):
    points = torch.rand(2, 128, 9)
    backbone = _backbone(tiny_clip_cfg, in_channels=9, out_channels=40,
                         tokenizer=_hierarchical())
    out = backbone(points)
    assert [x.shape[1] for x in out['sa_xyz']] == [128, 96, 64, 32, 16]
    widths = [None if f is None else f.shape[1] for f in out['sa_features']]
    assert widths == [6, 8, 16, 24, 40]
    _assert_indices_point_at_xyz(out, points)
    assert torch.equal(out['fp_indices'][-1], out['sa_indices'][-1])
    head = MODELS.build(dict(
        type='PointNet2Head', num_classes=5, channels=16, dropout_ratio=0.0,
        fp_channels=((40 + 24, 32), (32 + 16, 32), (32 + 8, 16), (16, 16)),
        conv_cfg=dict(type='Conv1d'), norm_cfg=dict(type='BN1d'), act_cfg=dict(type='ReLU')))
    logits = head(out)  # (B, num_classes, N)
    assert logits.shape == (2, 5, 128)
    logits.sum().backward()
    assert all(p.grad is not None for p in backbone.parameters() if p.requires_grad)
    assert all(p.grad is None for p in backbone.encoder.clip.parameters())


def test_token_features_and_no_projection(tiny_clip_cfg):
    points = torch.rand(1, 128, 3)
    out = _backbone(tiny_clip_cfg, in_channels=3, out_channels=None)(points)
    assert out['fp_features'][-1].shape == (1, 64, 32)  # the CLIP width, unprojected
    assert out['sa_features'][0] is None  # xyz only, as PointNet2SASSG
    out = _backbone(tiny_clip_cfg, in_channels=3, with_token_feats=True)(points)
    assert out['fp_features'][-1].shape == (1, 32, 32)


def test_wrong_channels_name_the_pipeline_setting(tiny_clip_cfg):
    backbone = _backbone(tiny_clip_cfg)
    with pytest.raises(ValueError, match='use_dim.*shift_height'):
        backbone(torch.rand(2, 256, 3))
    with pytest.raises(ValueError, match='drop in_channels from the tokenizer'):
        _backbone(tiny_clip_cfg, tokenizer=dict(type='EPCLTokenizer', num_tokens=8,
                                                num_neighbors=4, in_channels=3))
