"""tools/train.py --amp on CPU: bfloat16 autocast end to end (EPCLAmpOptimWrapper)."""
import math
import os.path as osp
import warnings

import pytest
import torch
from mmengine.runner import Runner

from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40
from epcl_mmdet3d.engine import EPCLAmpOptimWrapper
from epcl_mmdet3d.utils import SlowDtypeWarning

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')


def test_cpu_amp_wrapper_autocasts_to_bf16_without_loss_scale():
    layer = torch.nn.Linear(4, 2)
    wrapper = EPCLAmpOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=0.1),
                                  dtype_policy='force')  # bf16 on any CPU
    with wrapper.optim_context(layer):
        out = layer(torch.rand(3, 4))
    assert out.dtype == torch.bfloat16
    before = layer.weight.detach().clone()
    wrapper.update_params(out.float().square().sum())
    assert not torch.equal(before, layer.weight)  # the step was taken, unscaled
    assert wrapper.state_dict()['loss_scaler'] == {}
    with pytest.raises(ValueError, match='bfloat16 only'):
        EPCLAmpOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=0.1),
                            dtype='float16')


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path of --amp')
@pytest.mark.parametrize('native_bf16', [True, False])
def test_train_amp_on_cpu(load_tool, tmp_path, tiny_clip_checkpoint, simulate_dtype_support,
                          native_bf16):
    """--amp with frozen_dtype='bfloat16': bf16 where the CPU runs it fast, else an fp32
    run with exactly one warning (not a run tens of times slower)."""
    simulate_dtype_support(native=native_bf16, cost_ratio=0.5 if native_bf16 else 50.0)
    expected = torch.bfloat16 if native_bf16 else torch.float32
    root = str(tmp_path / 'syn')
    create_synthetic_modelnet40(root, train_per_class=4, test_per_class=1, num_points=128,
                                classes=['sphere', 'cube', 'cone'])
    opts = [f'model.backbone.clip.pretrained={tiny_clip_checkpoint}',
            'model.backbone.clip.frozen_dtype=bfloat16',  # stored bf16, not re-cast
            'model.backbone.tokenizer.num_tokens=16', 'model.num_classes=3',
            'model.class_names=[sphere,cube,cone]', 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=10', 'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=4']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{key}.dataset.data_root={root}', f'{key}.dataset.pipeline.0.num_points=128']
    train = load_tool('train')
    cfg = train.build_cfg(train.parse_args(
        [CONFIG, '--amp', '--work-dir', str(tmp_path / 'work'), '--cfg-options', *opts]))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        runner = Runner.from_cfg(cfg)
        dtypes = []
        runner.model.head.register_forward_hook(
            lambda m, i, o: dtypes.append(o.dtype) if m.training else None)  # not validation
        runner.train()
    slow = [w for w in record if issubclass(w.category, SlowDtypeWarning)]
    assert len(slow) == (0 if native_bf16 else 1)
    assert isinstance(runner.optim_wrapper, EPCLAmpOptimWrapper)
    assert runner.optim_wrapper.cast_dtype == expected
    assert runner.model.backbone.clip.weight_dtype == expected
    assert dtypes and set(dtypes) == {expected}  # the head ran under autocast, or not
    assert runner.iter == 3  # 12 shapes / batch 4
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss)
