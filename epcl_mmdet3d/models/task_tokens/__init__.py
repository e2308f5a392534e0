from .epcl_task_token import EPCLTaskToken

__all__ = ['EPCLTaskToken']
