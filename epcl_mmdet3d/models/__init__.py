from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .classifiers import EPCLClassifier
from .data_preprocessors import EPCLPointsDataPreprocessor
from .decode_heads import EPCLSegHead
from .heads import EPCLClsHead, EPCLTextAlignHead
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLHierarchicalTokenizer, EPCLTokenizer

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
__all__ += ['EPCLHierarchicalTokenizer', 'EPCLSegHead']
__all__ += [
    'EPCLClassifier', 'EPCLPointsDataPreprocessor', 'EPCLClsHead', 'EPCLTextAlignHead'
]
