from .epcl_3detr_head import EPCL3DETRHead

__all__ = ['EPCL3DETRHead']
