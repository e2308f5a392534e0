"""mmcv's CUDA kernels, or a clear error where this mmcv cannot run them.

On CUDA tensors the sampling ops call mmcv's kernels. An mmcv built without CUDA
(compiled on a machine without ``nvcc`` or a visible GPU, as ``tools/install_stack.sh``
does on a CPU machine) still imports and runs its CPU ops, but its CUDA kernels fail at
the first call with mmcv's terse "implementation for device cuda:0 not found"; an
mmcv without compiled ops (``mmcv-lite``) fails at import. Both are caught here, at the
first use, with what is missing and how to rebuild.
"""
from typing import Callable

_REBUILD = (
    'Rebuild mmcv with its CUDA ops on a machine whose GPU torch sees and with nvcc on '
    'PATH: delete the cached CPU wheel (~/.cache/epcl_mmdet3d/wheels/*_cpu) and rerun '
    'tools/install_stack.sh there (it sets FORCE_CUDA=1 when it finds both), or run '
    'FORCE_CUDA=1 MMCV_WITH_OPS=1 pip install --no-build-isolation --no-binary mmcv '
    "'mmcv>=2.0.0rc4,<2.2.0' yourself. Or keep the points on the CPU, where "
    "epcl_mmdet3d's own kernels run.")


def mmcv_cuda_op(name: str, caller: str) -> Callable:
    """The CUDA-capable ``mmcv.ops`` function ``name``.

    Args:
        name: a function of ``mmcv.ops`` (e.g. ``'furthest_point_sample'``).
        caller: the epcl_mmdet3d op that needs it, for the error message.

    Returns:
        ``mmcv.ops.<name>``.

    Raises:
        RuntimeError: mmcv's ops do not import, or mmcv was compiled without CUDA.
    """
    try:
        import mmcv
        import mmcv.ops as mmcv_ops
    except ImportError as err:
        raise RuntimeError(
            f'{caller} got CUDA tensors and needs mmcv.ops.{name}, but mmcv.ops does not '
            f'import ({err}): this mmcv has no compiled ops (mmcv-lite?). {_REBUILD}'
        ) from err
    cuda = mmcv_ops.get_compiling_cuda_version()
    if cuda == 'not available':
        raise RuntimeError(
            f'{caller} got CUDA tensors and needs mmcv.ops.{name} on CUDA, but mmcv '
            f'{mmcv.__version__} was compiled without CUDA ops (its compiling CUDA '
            f"version is '{cuda}'). {_REBUILD}")
    return getattr(mmcv_ops, name)
