from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .classifiers import EPCLClassifier
from .data_preprocessors import EPCLPointsDataPreprocessor
from .heads import EPCLClsHead, EPCLTextAlignHead
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLTokenizer

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
__all__ += [
    'EPCLClassifier', 'EPCLPointsDataPreprocessor', 'EPCLClsHead', 'EPCLTextAlignHead'
]
