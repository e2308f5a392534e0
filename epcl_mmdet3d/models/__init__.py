"""EPCL models: the frozen-CLIP encoder and its parts, and one model per task."""
from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .classifiers import EPCLClassifier, EPCLClsHead, EPCLTextAlignHead
from .data_preprocessors import EPCLPointsDataPreprocessor
from .decode_heads import EPCLSegHead
from .dense_heads import EPCL3DETRHead
from .detectors import EPCL3DETRDetector
from .layers import (
                     EPCLDecoderLayer,
                     EPCLFourierPosEncoding,
                     EPCLMiniPointNet,
                     EPCLPointGrouper,
                     EPCLSetAbstractionMLP,
                     EPCLTaskToken,
                     EPCLTransformerDecoder,
)
from .losses import EPCLSetCriterion
from .segmentors import EPCLEncoderDecoder3D
from .task_modules import EPCL3DETRBoxCoder, EPCLHungarianMatcher
from .tokenizers import EPCLHierarchicalTokenizer, EPCLTokenizer
from .utils import stack_points

__all__ = [
    'EPCL3DETRBoxCoder', 'EPCL3DETRDetector', 'EPCL3DETRHead', 'EPCLClassifier', 'EPCLClsHead',
    'EPCLDecoderLayer', 'EPCLEncoder', 'EPCLEncoderDecoder3D', 'EPCLFourierPosEncoding',
    'EPCLHierarchicalTokenizer', 'EPCLHungarianMatcher', 'EPCLMiniPointNet', 'EPCLPointGrouper',
    'EPCLPointsDataPreprocessor', 'EPCLSegHead', 'EPCLSetAbstractionMLP', 'EPCLSetCriterion',
    'EPCLTaskToken', 'EPCLTextAlignHead', 'EPCLTokenizer', 'EPCLTransformerDecoder',
    'FrozenCLIPBackbone', 'stack_points'
]
