"""A few iterations of the classification demo config on tiny synthetic shapes, for hook
tests: imported by them, and run as a script by the work-dir lock test
(``python tiny_cls_run.py DATA_ROOT WORK_DIR READY GO``: trains, and after its first
iteration creates READY and waits for GO to exist)."""
import os.path as osp
import sys
import time

from mmengine.config import Config
from mmengine.hooks import Hook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLS = osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py')
CLASSES = ['sphere', 'cube', 'cone']


def make_data(data_root: str) -> None:
    """Six training shapes (three iterations of two) and three test shapes."""
    from epcl_mmdet3d.datasets.synthetic import create_synthetic_modelnet40
    create_synthetic_modelnet40(data_root, CLASSES, train_per_class=2, test_per_class=1,
                                num_points=64)


def make_cfg(data_root: str, work_dir: str, max_epochs: int = 2) -> Config:
    """The demo config, 64 points, batches of 2, no validation, a checkpoint (iter_N.pth)
    after every iteration with max_keep_ckpts=1."""
    cfg = Config.fromfile(CLS)
    cfg.work_dir = work_dir
    cfg.model.backbone.tokenizer.update(num_tokens=8, num_neighbors=8)
    cfg.model.update(num_classes=len(CLASSES), class_names=CLASSES)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
        cfg[key].dataset.pipeline[0].num_points = 64
        cfg[key].batch_size = 2
    cfg.train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1000)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False,
                                        max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 1
    return cfg


class WaitAfterFirstIter(Hook):
    """Creates ``ready`` after the first iteration, then waits (<= 5 min) for ``go``."""

    def __init__(self, ready: str, go: str) -> None:
        self.ready, self.go = ready, go

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter:
            return
        open(self.ready, 'w').close()
        deadline = time.time() + 300
        while not osp.exists(self.go) and time.time() < deadline:
            time.sleep(0.1)


def main(data_root: str, work_dir: str, ready: str, go: str) -> None:
    from epcl_mmdet3d.engine import build_runner
    runner = build_runner(make_cfg(data_root, work_dir, max_epochs=1))
    runner.register_hook(WaitAfterFirstIter(ready, go))
    runner.train()


if __name__ == '__main__':
    main(*sys.argv[1:5])
