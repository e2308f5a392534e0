from .epcl_3detr_box_coder import EPCL3DETRBoxCoder
from .epcl_hungarian_matcher import EPCLHungarianMatcher

__all__ = ['EPCL3DETRBoxCoder', 'EPCLHungarianMatcher']
