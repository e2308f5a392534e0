"""configs/3detr_scannet_det_demo.py (and the 3DETR-m one) train through tools/train.py on
synthetic ScanNet rooms and evaluate through mmdet3d's IndoorMetric; the demo pair differs
from the EPCL demo in the encoder only."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _config(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


@pytest.mark.parametrize('name', ['3detr_scannet_det_demo.py', '3detr-m_scannet_det_demo.py'])
def test_demo_differs_from_the_epcl_demo_in_the_encoder_only(name):
    epcl, detr = _config('epcl_scannet_det_demo.py'), _config(name)
    assert detr.model.backbone.type == 'EPCL3DETREncoder'
    head_e, head_d = dict(epcl.model.bbox_head), dict(detr.model.bbox_head)
    # 3DETR's head reads its encoder without EPCL's LayerNorm (and 3DETR-m's projection
    # has one hidden layer): the only head settings that follow the encoder
    for key in ('in_norm', 'proj_hidden_layers'):
        head_e.pop(key, None), head_d.pop(key, None)
    assert head_e == head_d
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper', 'param_scheduler',
                'train_cfg', 'randomness', 'test_cfg'):
        assert epcl[key] == detr[key], key
    assert epcl.model.test_cfg == detr.model.test_cfg


def test_demo_trains_and_evaluates_with_tools_train(load_tool, tmp_path):
    """About 20 s on 2 shared cores: not marked slow (the brief's bar is ~30 s)."""
    root = str(tmp_path / 'data') + '/'
    create_synthetic_scannet(root, num_train=4, num_val=2, num_points=10000, seed=0)
    work = str(tmp_path / 'work')
    opts = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'train_dataloader.batch_size=2', 'param_scheduler=[]',
            f'train_dataloader.dataset.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']
    load_tool('train').main([osp.join(ROOT, 'configs', '3detr_scannet_det_demo.py'),
                             '--work-dir', work, '--cfg-options', *opts])
    with open(osp.join(work, 'model_selection.json')) as f:
        selection = json.load(f)
    text = json.dumps(selection)
    assert 'mAP_0.25' in text and 'mAP_0.50' in text  # IndoorMetric's keys
