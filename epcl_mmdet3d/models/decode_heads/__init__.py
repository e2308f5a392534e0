from .epcl_seg_head import EPCLSegHead

__all__ = ['EPCLSegHead']
