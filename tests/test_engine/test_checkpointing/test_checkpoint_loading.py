"""Resume and load_from of real mmengine checkpoints under weights-only loading
(``checkpointing/checkpoint_loading.py``)."""
import pickle

import pytest
import torch
from mmdet3d.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import epcl_mmdet3d  # noqa: F401


class _Clouds(Dataset):
    """Two classes of clouds: points in a unit cube vs the same cube stretched."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        points = torch.rand(128, 3, generator=g) * (1 + 2 * (i % 2))
        return dict(inputs=points, labels=torch.tensor(i % 2))


class _ToyClassifier(BaseModel):

    def __init__(self, encoder):
        super().__init__()
        self.encoder = MODELS.build(encoder)
        self.head = nn.Linear(self.encoder.embed_dims, 2)

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.head(self.encoder(inputs)['cls_feat'])
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(logits, labels))
        return logits


def _runner(work_dir, encoder_cfg, max_epochs, **kwargs):
    return Runner(
        model=_ToyClassifier(encoder_cfg),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Clouds(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(constructor='EPCLOptimWrapperConstructor',
                           optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04)),
        param_scheduler=dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        default_scope='mmdet3d',
        **kwargs)


def test_resume_and_load_from(tmp_path, tiny_encoder_cfg):
    first = _runner(tmp_path / 'a', tiny_encoder_cfg, max_epochs=2)
    first.train()
    ckpt = tmp_path / 'a' / 'epoch_1.pth'
    # a full Runner checkpoint (message hub logs, numpy values) loads weights-only
    state = torch.load(ckpt, map_location='cpu')
    assert 'message_hub' in state and 'optimizer' in state
    assert type(state['message_hub']['log_scalars']['train/loss']).__name__ == 'HistoryBuffer'

    resumed = _runner(tmp_path / 'a', tiny_encoder_cfg, max_epochs=3,
                      resume=True, load_from=str(ckpt))
    resumed.train()
    assert resumed.epoch == 3
    after = torch.load(tmp_path / 'a' / 'epoch_3.pth', map_location='cpu')
    assert after['meta']['epoch'] == 3

    loaded = _runner(tmp_path / 'b', tiny_encoder_cfg, max_epochs=1, load_from=str(ckpt))
    loaded.load_or_resume()
    saved = state['state_dict']
    for k, v in loaded.model.state_dict().items():
        assert torch.equal(v, saved[k]), k


class _Arbitrary:
    pass


def test_weights_only_loading_stays_on(tmp_path):
    path = tmp_path / 'unsafe.pth'
    torch.save({'obj': _Arbitrary()}, path)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        torch.load(path)


def test_getattr_stand_in_is_restricted(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer
    path = tmp_path / 'getattr.pth'

    class _Sneaky:
        def __reduce__(self):
            return getattr, (HistoryBuffer, '__init__')

    torch.save({'x': _Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refuses getattr'):
        torch.load(path)


def test_configdict_in_meta_loads_weights_only(tmp_path):
    """dataset_meta of segmentation datasets holds ConfigDict."""
    path = tmp_path / 'ckpt.pth'
    meta = dict(dataset_meta=dict(label2cat=ConfigDict({0: 'ceiling', 1: 'floor'})))
    torch.save(dict(meta=meta, state_dict={'w': torch.ones(2)}), path)
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert ckpt['meta']['dataset_meta']['label2cat'][1] == 'floor'
    assert isinstance(ckpt['meta']['dataset_meta']['label2cat'], ConfigDict)
