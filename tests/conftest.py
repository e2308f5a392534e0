"""Shared fixtures: tiny CLIP models and checkpoints that the tests build themselves."""
import os

import pytest
import torch

os.environ.setdefault('OMP_NUM_THREADS', '2')

TINY_ARCH = 'EPCL-ViT-Tiny'  # width 64, 2 layers; shipped in epcl_mmdet3d's clip_configs


@pytest.fixture(autouse=True, scope='session')
def mmdet3d_scope():
    """Build through mmdet3d's registries, as every mmdet3d config does (default_scope)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason='needs a CUDA device')
    for item in items:
        if 'cuda' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope='session')
def tiny_clip_checkpoint(tmp_path_factory):
    """A local state-dict file of a randomly initialised tiny open_clip model."""
    import open_clip

    import epcl_mmdet3d  # noqa: F401  (registers the tiny architecture)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_ARCH, pretrained=None)
    path = tmp_path_factory.mktemp('clip') / 'epcl_vit_tiny.pt'
    torch.save(model.state_dict(), path)
    return str(path)


@pytest.fixture
def tiny_clip_cfg(tiny_clip_checkpoint):
    """FrozenCLIPBackbone config of the tiny CLIP, loaded from the local checkpoint."""
    return dict(type='FrozenCLIPBackbone', arch=TINY_ARCH,
                pretrained=tiny_clip_checkpoint, embed_dropout=0.0)


@pytest.fixture
def tiny_encoder_cfg(tiny_clip_cfg):
    """EPCLEncoder config: 16 tokens of 8 neighbours, 4 task tokens, the tiny CLIP."""
    return dict(type='EPCLEncoder',
                tokenizer=dict(type='EPCLTokenizer', num_tokens=16, num_neighbors=8,
                               in_channels=3),
                task_token=dict(type='EPCLTaskToken', num_tokens=4),
                clip=tiny_clip_cfg)
