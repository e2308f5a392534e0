"""Point cloud classification (mmdet3d has none): the classifier and its two heads."""
from .epcl_classifier import EPCLClassifier
from .epcl_cls_head import EPCLClsHead
from .epcl_text_align_head import EPCLTextAlignHead

__all__ = ['EPCLClassifier', 'EPCLClsHead', 'EPCLTextAlignHead']
