"""mmengine's CheckpointHook, saving so that the run always keeps one complete checkpoint."""
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, List, Tuple

from mmdet3d.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from .epcl_atomic_local_backend import atomic_write

ATOMIC_BACKEND_ARGS = dict(backend='epcl_atomic_local')


class _DeferredRemoval:
    """Forwards to a file backend but queues ``remove`` / ``rmtree`` instead of running them."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.queued: List[Tuple[str, str]] = []

    def remove(self, path: str) -> None:
        self.queued.append(('remove', path))

    def rmtree(self, path: str) -> None:
        self.queued.append(('rmtree', path))

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


@HOOKS.register_module()
class EPCLCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments, same files) that a kill cannot leave without a
    complete checkpoint.

    mmengine 0.10's hook deletes the checkpoint that falls out of ``max_keep_ckpts`` (and
    the previous best one) *before* it writes the new one, writes in place, then writes
    ``last_checkpoint`` in place: a kill or a full disk during a save leaves a half-written
    file, and with ``max_keep_ckpts=1`` no complete one. Here:

    - checkpoints and ``last_checkpoint`` are written aside and renamed into place
      (``EPCLAtomicLocalBackend``, used when the checkpoint directory is local and no
      ``backend_args`` / ``file_client_args`` are given);
    - ``last_checkpoint`` names the new file only once that file is complete;
    - outdated checkpoints (and the previous best) are removed only after that.

    A save that fails part-way changes nothing on disk but, after a hard kill, a
    leftover ``.<name>.*.partial`` file. ``EPCLRunner`` switches this hook on in place of
    ``CheckpointHook`` and resumes from the newest complete checkpoint.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deferring = False

    def before_train(self, runner) -> None:
        out_dir = runner.work_dir if self.out_dir is None else self.out_dir
        if ('://' not in str(out_dir) and self.backend_args is None
                and self.file_client_args is None):
            self.backend_args = dict(ATOMIC_BACKEND_ARGS)
        super().before_train(runner)

    @contextmanager
    def _removals_deferred(self) -> Iterator[None]:
        """Queue the removals mmengine's logic asks for; run them only if the block ends well."""
        if self._deferring:  # nested: the best-checkpoint save re-saves the latest one
            yield
            return
        proxy = _DeferredRemoval(self.file_backend)
        self.file_backend, self._deferring = proxy, True
        try:
            yield
        finally:
            self.file_backend, self._deferring = proxy.backend, False
        for operation, path in proxy.queued:  # the new files are complete by now
            getattr(self.file_backend, operation)(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self._removals_deferred():
            # the same bookkeeping as mmengine (keep_ckpt_ids, last_ckpt in the message
            # hub, so that a resumed run knows which files it owns), in a safe order
            if self.max_keep_ckpts > 0 and not (
                    self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    outdated = self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(self.keep_ckpt_ids.popleft()))
                    if is_main_process():
                        if self.file_backend.isfile(outdated):
                            self.file_backend.remove(outdated)  # queued
                        elif self.file_backend.isdir(outdated):
                            self.file_backend.rmtree(outdated)  # queued
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
            filename = self.filename_tmpl.format(step)
            self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
            runner.message_hub.update_info('last_ckpt', self.last_ckpt)
            runner.save_checkpoint(
                self.out_dir, filename, self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler, meta=meta,
                by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
            if is_main_process():
                atomic_write(str(self.last_ckpt).encode(),
                             osp.join(runner.work_dir, 'last_checkpoint'))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._removals_deferred():
            super()._save_best_checkpoint(runner, metrics)
