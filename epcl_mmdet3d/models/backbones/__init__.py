import os.path as osp

import open_clip

from .base_frozen_tower import BaseFrozenTower
from .epcl_3detr_encoder import EPCL3DETREncoder
from .epcl_encoder import EPCLEncoder
from .epcl_pointnet2_backbone import EPCLPointNet2Backbone
from .frozen_clip_backbone import FrozenCLIPBackbone

# Make the architectures shipped with the package (the tiny test ViT) known to
# open_clip's factory, so they build like any other open_clip model.
open_clip.add_model_config(osp.join(osp.dirname(__file__), 'clip_configs'))

__all__ = ['BaseFrozenTower', 'EPCL3DETREncoder', 'EPCLEncoder', 'EPCLPointNet2Backbone',
           'FrozenCLIPBackbone']
