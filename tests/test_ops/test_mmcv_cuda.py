"""The CUDA path's check of mmcv: a clear error where mmcv cannot run its CUDA kernels."""
import sys

import mmcv.ops
import pytest
import torch

from epcl_mmdet3d.ops import furthest_point_sample, knn_query, three_nn
from epcl_mmdet3d.ops._mmcv_cuda import mmcv_cuda_op


def test_mmcv_built_without_cuda_is_refused_with_how_to_rebuild(monkeypatch):
    # what an mmcv compiled on a machine without nvcc reports (this project's CPU build
    # reports it too)
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: 'not available')
    with pytest.raises(RuntimeError) as err:
        mmcv_cuda_op('furthest_point_sample', 'furthest_point_sample')
    msg = str(err.value)
    assert 'compiled without CUDA ops' in msg
    assert 'furthest_point_sample' in msg
    assert 'FORCE_CUDA=1' in msg and 'install_stack.sh' in msg


def test_mmcv_without_compiled_ops_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmcv.ops', None)  # `import mmcv.ops` raises
    with pytest.raises(RuntimeError, match='mmcv.ops does not import.*mmcv-lite'):
        mmcv_cuda_op('knn', 'knn_query')


def test_mmcv_with_cuda_ops_hands_out_the_kernel(monkeypatch):
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '12.1')
    assert mmcv_cuda_op('three_nn', 'three_nn') is mmcv.ops.three_nn


def test_cpu_tensors_never_need_mmcv_cuda(monkeypatch):
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: 'not available')
    xyz = torch.rand(1, 32, 3)
    assert furthest_point_sample(xyz, 4).shape == (1, 4)
    assert knn_query(xyz, xyz, 3)[1].shape == (1, 32, 3)
    assert three_nn(xyz, xyz)[1].shape == (1, 32, 3)


@pytest.mark.cuda
def test_cuda_tensors_reach_the_check(monkeypatch):
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: 'not available')
    with pytest.raises(RuntimeError, match='compiled without CUDA ops'):
        furthest_point_sample(torch.rand(1, 32, 3, device='cuda'), 4)
