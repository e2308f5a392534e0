from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLTokenizer
from .dense_heads import EPCL3DETRHead
from .detectors import EPCL3DETRDetector
from .layers import (EPCLDecoderLayer, EPCLFourierPosEncoding,
                     EPCLTransformerDecoder)
from .losses import EPCLSetCriterion
from .task_modules import EPCL3DETRBoxCoder, EPCLHungarianMatcher

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
__all__ += [
    'EPCL3DETRBoxCoder', 'EPCL3DETRDetector', 'EPCL3DETRHead', 'EPCLDecoderLayer',
    'EPCLFourierPosEncoding', 'EPCLHungarianMatcher', 'EPCLSetCriterion',
    'EPCLTransformerDecoder'
]
