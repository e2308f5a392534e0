from .epcl_3detr_box_coder import EPCL3DETRBoxCoder
from .epcl_3detr_post_processor import EPCL3DETRPostProcessor
from .epcl_hungarian_matcher import EPCLHungarianMatcher

__all__ = ['EPCL3DETRBoxCoder', 'EPCL3DETRPostProcessor', 'EPCLHungarianMatcher']
