from .epcl_atomic_local_backend import EPCLAtomicLocalBackend, atomic_write

__all__ = ['EPCLAtomicLocalBackend', 'atomic_write']
