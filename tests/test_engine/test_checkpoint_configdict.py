"""Checkpoints whose dataset_meta holds ConfigDict (segmentation datasets) load weights-only."""
import torch
from mmengine.config import ConfigDict

import epcl_mmdet3d  # noqa: F401  (allow-lists mmengine checkpoint types)


def test_configdict_in_meta_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    meta = dict(dataset_meta=dict(label2cat=ConfigDict({0: 'ceiling', 1: 'floor'})))
    torch.save(dict(meta=meta, state_dict={'w': torch.ones(2)}), path)
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert ckpt['meta']['dataset_meta']['label2cat'][1] == 'floor'
    assert isinstance(ckpt['meta']['dataset_meta']['label2cat'], ConfigDict)
