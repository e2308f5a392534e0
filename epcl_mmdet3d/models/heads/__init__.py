"""Task heads."""
from .epcl_cls_head import EPCLClsHead
from .epcl_text_align_head import EPCLTextAlignHead

__all__ = ['EPCLClsHead', 'EPCLTextAlignHead']
