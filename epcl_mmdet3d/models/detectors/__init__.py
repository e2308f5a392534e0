from .epcl_3detr_detector import EPCL3DETRDetector

__all__ = ['EPCL3DETRDetector']
