"""Shared fixtures: tiny CLIP models and checkpoints that the tests build themselves."""
import os

import pytest
import torch

os.environ.setdefault('OMP_NUM_THREADS', '2')

TINY_ARCH = 'EPCL-ViT-Tiny'  # width 64, 2 layers; shipped in epcl_mmdet3d's clip_configs


@pytest.fixture(autouse=True, scope='session')
def mmdet3d_scope():
    """Build through mmdet3d's registries, as every mmdet3d config does (default_scope)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason='needs a CUDA device')
    for item in items:
        if 'cuda' in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def simulate_dtype_support(monkeypatch):
    """``simulate(native, cost_ratio)``: pretend this machine has (or lacks) native
    bfloat16 / float16 kernels, and that they cost ``cost_ratio`` x float32, for
    ``epcl_mmdet3d.utils.resolve_dtype``; probed results and warnings start afresh."""
    from epcl_mmdet3d.utils import dtype_support

    def simulate(native: bool, cost_ratio: float = 0.5) -> None:
        dtype_support.reset_dtype_support_cache()
        state = '' if native else 'no '
        monkeypatch.setattr(dtype_support, '_native_support', lambda device, dtype: (
            native, f'simulated: {state}native {dtype} kernels on {device}'))
        monkeypatch.setattr(dtype_support, '_measure_cost_ratio',
                            lambda device, dtype: cost_ratio)

    yield simulate
    dtype_support.reset_dtype_support_cache()


@pytest.fixture(scope='session')
def tiny_clip_checkpoint(tmp_path_factory):
    """A local state-dict file of a randomly initialised tiny open_clip model."""
    import open_clip

    import epcl_mmdet3d  # noqa: F401  (registers the tiny architecture)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_ARCH, pretrained=None)
    path = tmp_path_factory.mktemp('clip') / 'epcl_vit_tiny.pt'
    torch.save(model.state_dict(), path)
    return str(path)


@pytest.fixture
def tiny_clip_cfg(tiny_clip_checkpoint):
    """FrozenCLIPBackbone config of the tiny CLIP, loaded from the local checkpoint."""
    return dict(type='FrozenCLIPBackbone', arch=TINY_ARCH,
                pretrained=tiny_clip_checkpoint, embed_dropout=0.0,
                activation='gelu')  # a bare state dict: say what it was built with


@pytest.fixture
def tiny_encoder_cfg(tiny_clip_cfg):
    """EPCLEncoder config: 16 tokens of 8 neighbours, 4 task tokens, the tiny CLIP."""
    return dict(type='EPCLEncoder',
                tokenizer=dict(type='EPCLTokenizer', num_tokens=16, num_neighbors=8,
                               in_channels=3),
                task_token=dict(type='EPCLTaskToken', num_tokens=4),
                clip=tiny_clip_cfg)


def _load_tool(rel_path: str):
    """A script under tools/ as a module; ``rel_path`` without '.py' (e.g. 'misc/visualize')."""
    import importlib.util
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, 'tools', f'{rel_path}.py')
    spec = importlib.util.spec_from_file_location('epcl_tool_' + rel_path.replace('/', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_tool():
    """Load a command-line tool of tools/ by its path, to call its ``main``."""
    return _load_tool


def encode_boxes(coder, centers, sizes, yaws, query_xyz, scene_min, scene_max, eps=1e-6):
    """Raw head outputs that ``coder.decode`` (an ``EPCL3DETRBoxCoder``) maps back to the
    given boxes: its inverse, for tests that need predictions of known boxes.

    Args:
        centers: (B, Q, 3) centres, within ``center_range / 2`` of ``query_xyz``.
        sizes: (B, Q, 3) sizes, below the scene extent.
        yaws: (B, Q) yaw angles.
        query_xyz: (B, Q, 3) query positions.
        scene_min: (B, 3) lower scene bound.
        scene_max: (B, 3) upper scene bound.
        eps: clamp for the logit.

    Returns:
        dict of ``center_raw``, ``size_raw`` (B, Q, 3), ``angle_cls``,
        ``angle_res_raw`` (B, Q, A).
    """
    extent = coder._extent(scene_min, scene_max)[:, None]  # (B, 1, 3)
    offset = (centers - query_xyz) / coder.center_range + 0.5
    if ((offset <= 0) | (offset >= 1)).any():
        raise ValueError('a centre lies farther than center_range / 2 from its query; '
                         'it cannot be encoded')
    size_n = sizes / extent
    target = coder.encode_targets(centers.flatten(0, 1), sizes.flatten(0, 1),
                                 yaws.flatten(), scene_min.repeat_interleave(
                                     centers.shape[1], 0), scene_max.repeat_interleave(
                                     centers.shape[1], 0))
    angle_cls = torch.nn.functional.one_hot(
        target['angle_bin'], coder.num_angle_bins).to(centers.dtype) * 10.0
    angle_res = target['angle_residual'][:, None].expand(-1, coder.num_angle_bins)
    shape = centers.shape[:2] + (coder.num_angle_bins, )
    return dict(
        center_raw=torch.logit(offset, eps=eps),
        size_raw=torch.logit(size_n, eps=eps),
        angle_cls=angle_cls.reshape(shape),  # (B, Q, A)
        angle_res_raw=angle_res.reshape(shape))  # (B, Q, A)


@pytest.fixture
def box_encoder():
    """``encode_boxes``: raw 3DETR head outputs that decode to given boxes."""
    return encode_boxes
