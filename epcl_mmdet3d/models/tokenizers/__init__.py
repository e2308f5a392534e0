from .epcl_hierarchical_tokenizer import EPCLHierarchicalTokenizer
from .epcl_tokenizer import EPCLTokenizer

__all__ = ['EPCLHierarchicalTokenizer', 'EPCLTokenizer']
