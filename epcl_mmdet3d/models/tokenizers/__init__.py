from .epcl_tokenizer import EPCLTokenizer

__all__ = ['EPCLTokenizer']
