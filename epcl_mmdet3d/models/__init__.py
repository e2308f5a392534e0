from .backbones import EPCLEncoder, FrozenCLIPBackbone
from .task_tokens import EPCLTaskToken
from .tokenizers import EPCLTokenizer

__all__ = ['EPCLEncoder', 'EPCLTaskToken', 'EPCLTokenizer', 'FrozenCLIPBackbone']
