"""A hook for the distributed tests: each rank saves its parameters and what it trained on.

Imported by the training processes through the test config's ``custom_imports``.
"""
import os.path as osp

import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankSnapshotHook(Hook):
    """Write ``{before,after}_rank{R}.pth``: parameters, which ones train, the model
    wrapper's type and the lidar files this rank's batches held."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.seen = []

    def _save(self, runner, when: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        rank, world_size = get_dist_info()
        torch.save(dict(
            params={n: p.detach().clone() for n, p in model.named_parameters()},
            trainable=[n for n, p in model.named_parameters() if p.requires_grad],
            wrapper=type(runner.model).__name__, world_size=world_size,
            seen=list(self.seen)), osp.join(self.out_dir, f'{when}_rank{rank}.pth'))

    def before_train(self, runner) -> None:
        self._save(runner, 'before')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.seen += [s.lidar_path for s in data_batch['data_samples']]

    def after_train(self, runner) -> None:
        self._save(runner, 'after')
