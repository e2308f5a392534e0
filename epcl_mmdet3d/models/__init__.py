from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .classifiers import EPCLClassifier
from .data_preprocessors import EPCLPointsDataPreprocessor
from .decode_heads import EPCLSegHead
from .dense_heads import EPCL3DETRHead
from .detectors import EPCL3DETRDetector
from .heads import EPCLClsHead, EPCLTextAlignHead
from .layers import (EPCLDecoderLayer, EPCLFourierPosEncoding,
                     EPCLTransformerDecoder)
from .losses import EPCLSetCriterion
from .task_modules import EPCL3DETRBoxCoder, EPCLHungarianMatcher
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLHierarchicalTokenizer, EPCLTokenizer

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
__all__ += ['EPCLHierarchicalTokenizer', 'EPCLSegHead']
__all__ += [
    'EPCLClassifier', 'EPCLPointsDataPreprocessor', 'EPCLClsHead', 'EPCLTextAlignHead'
]
__all__ += [
    'EPCL3DETRBoxCoder', 'EPCL3DETRDetector', 'EPCL3DETRHead', 'EPCLDecoderLayer',
    'EPCLFourierPosEncoding', 'EPCLHungarianMatcher', 'EPCLSetCriterion',
    'EPCLTransformerDecoder'
]
