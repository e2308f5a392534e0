"""EPCL segmentation through mmdet3d's EncoderDecoder3D: slide inference, small rooms."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet3d.registry import DATASETS, MODELS
from mmdet3d.structures import Det3DDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from epcl_mmdet3d.datasets.synthetic import generate_room, write_s3dis_area

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DEMO_CFG = osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')


@pytest.fixture
def cfg():
    init_default_scope('mmdet3d')
    return Config.fromfile(DEMO_CFG)


@pytest.fixture
def model(cfg, tiny_clip_checkpoint):
    torch.manual_seed(0)
    cfg.model.backbone.clip.pretrained = tiny_clip_checkpoint
    return MODELS.build(cfg.model).eval()  # a ConfigDict: test_cfg keeps attribute access


def _room_points(room):
    pts = torch.from_numpy(room.points.copy())
    pts[:, 3:] /= 255.0  # NormalizePointsColor with color_mean=None
    return pts  # (N, 6)


def test_slide_inference_on_room_larger_than_block(model):
    room = generate_room(0, density=30, size=(3.2, 2.6))
    points = _room_points(room)
    n = len(points)
    assert n > model.test_cfg.num_points
    patches, idxs = model._sliding_patch_generation(
        points, model.test_cfg.num_points, model.test_cfg.block_size,
        model.test_cfg.sample_rate, model.test_cfg.use_normalized_coord)
    num_blocks = len(idxs) // model.test_cfg.num_points
    assert num_blocks > 4  # many overlapping blocks cover the room
    with torch.no_grad():
        out = model.predict(dict(points=[points]), [Det3DDataSample()])
    pred = out[0].pred_pts_seg.pts_semantic_mask
    assert pred.shape == (n, )
    assert int(pred.min()) >= 0 and int(pred.max()) < 13


def test_room_smaller_than_a_block(cfg, model, tmp_path):
    """Fewer points than a block: blocks are padded by repeating points, in
    training (IndoorPatchPointSample) and in slide inference alike."""
    room = generate_room(1, density=2)
    n = len(room.points)
    assert n < cfg.num_points
    with pytest.warns(UserWarning, match='too small'):  # never in a training index
        write_s3dis_area(str(tmp_path), 1, {'tiny_1': room}, num_points=cfg.num_points)
    ds_cfg = cfg.train_dataloader.dataset.to_dict()
    ds_cfg.update(data_root=str(tmp_path), ann_files=['s3dis_infos_Area_1.pkl'],
                  scene_idxs=[np.array([0, 0])])
    ds = DATASETS.build(ds_cfg)
    items = [ds[0], ds[1]]
    assert items[0]['inputs']['points'].shape == (cfg.num_points, 9)
    model.train()
    data = model.data_preprocessor(pseudo_collate(items), training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['decode.loss_sem_seg'])
    losses['decode.loss_sem_seg'].backward()

    model.eval()
    with torch.no_grad():
        out = model.predict(dict(points=[_room_points(room)]), [Det3DDataSample()])
    assert out[0].pred_pts_seg.pts_semantic_mask.shape == (n, )


def test_decode_head_widths_come_from_the_backbone(cfg, model):
    """The demo config names no width: the head reads them from the built backbone."""
    assert 'embed_dims' not in cfg.model.decode_head
    assert 'skip_channels' not in cfg.model.decode_head
    head, backbone = model.decode_head, model.backbone
    assert head.embed_dims == backbone.embed_dims == 64  # EPCL-ViT-Tiny
    assert head.skip_channels == [9, 64, 128]  # input channels, then the level widths
    assert head.skip_channels == backbone.tokenizer.skip_channels[:-1]


def test_a_width_that_disagrees_with_the_backbone_is_refused(cfg, tiny_clip_checkpoint):
    cfg.model.backbone.clip.pretrained = tiny_clip_checkpoint
    cfg.model.decode_head.embed_dims = 768  # what a ViT-B config would have said
    with pytest.raises(ValueError, match='decode_head.embed_dims=768 does not match'):
        MODELS.build(cfg.model)
