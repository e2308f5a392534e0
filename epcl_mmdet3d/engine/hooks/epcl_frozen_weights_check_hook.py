"""Prove, during training, that no frozen tower weight ever changed."""
import time
from typing import Dict, Optional

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from ...models.backbones.base_frozen_tower import tensor_digests


def frozen_tower_tensors(model: nn.Module) -> Dict[str, object]:
    """Every frozen parameter of ``model`` by its name in ``model``.

    A frozen tower is any submodule with ``frozen_parameters()`` (a ``BaseFrozenTower``
    such as ``FrozenCLIPBackbone``).
    """
    frozen = set()
    for module in model.modules():
        if callable(getattr(module, 'frozen_parameters', None)):
            frozen.update(id(p) for p in module.frozen_parameters())
    return {name: p for name, p in model.named_parameters(remove_duplicate=False)
            if id(p) in frozen}


@HOOKS.register_module()
class EPCLFrozenWeightsCheckHook(Hook):
    """Fingerprint the frozen tower weights when training starts; check them at every
    checkpoint save and when training ends.

    The fingerprint is a checksum of each frozen tensor's bytes (CRC-32 by default: any
    accidental write is found, a single flipped bit included; 'sha256' for a cryptographic
    one), and a mismatch names the tensor that changed. A change is a
    ``RuntimeError``: something (an ``init_cfg``, an optimizer given frozen parameters,
    a hook, user code) wrote to weights that must stay as loaded.

    Args:
        check_every_n_iters: also check every n training iterations (0: never; one
            check hashes the whole frozen tower, see the README for its cost).
        algorithm: 'crc32' or 'sha256'.
    """

    priority = 'VERY_LOW'

    def __init__(self, check_every_n_iters: int = 0, algorithm: str = 'crc32') -> None:
        if check_every_n_iters < 0:
            raise ValueError(f'check_every_n_iters must be >= 0, got {check_every_n_iters}')
        tensor_digests([], algorithm)  # refuses an unknown algorithm now, not at train start
        self.algorithm = algorithm
        self.check_every_n_iters = check_every_n_iters
        self._reference: Optional[Dict[str, str]] = None
        self.last_check_seconds: Optional[float] = None

    @staticmethod
    def _model(runner) -> nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def _fingerprint(self, runner) -> Dict[str, str]:
        start = time.perf_counter()
        digests = tensor_digests(frozen_tower_tensors(self._model(runner)).items(),
                                 self.algorithm)
        self.last_check_seconds = time.perf_counter() - start
        return digests

    def before_train(self, runner) -> None:
        self._reference = self._fingerprint(runner)
        runner.logger.info(
            f'EPCLFrozenWeightsCheckHook: fingerprinted {len(self._reference)} frozen tower '
            f'tensors in {self.last_check_seconds:.3f} s')

    def check(self, runner, when: str) -> None:
        """Compare the frozen weights with their fingerprint at train start."""
        if self._reference is None:
            return
        now = self._fingerprint(runner)
        changed = sorted(k for k in self._reference if now.get(k) != self._reference[k])
        if changed:
            raise RuntimeError(
                f'frozen tower weights changed during training ({when}): {len(changed)} '
                f'tensor(s), first {changed[:5]}. Something wrote to the frozen tower: an '
                'init_cfg, an optimizer or hook given frozen parameters, or user code. '
                'Frozen weights must stay as loaded.')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.check_every_n_iters and self.every_n_train_iters(
                runner, self.check_every_n_iters):
            self.check(runner, f'iteration {runner.iter + 1}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self.check(runner, f'checkpoint save at epoch {runner.epoch}, iteration {runner.iter}')

    def after_train(self, runner) -> None:
        self.check(runner, 'end of training')
