from .epcl_set_criterion import EPCLSetCriterion

__all__ = ['EPCLSetCriterion']
