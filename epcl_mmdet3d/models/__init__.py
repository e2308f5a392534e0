from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .decode_heads import EPCLSegHead
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLHierarchicalTokenizer, EPCLTokenizer

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
__all__ += ['EPCLHierarchicalTokenizer', 'EPCLSegHead']
