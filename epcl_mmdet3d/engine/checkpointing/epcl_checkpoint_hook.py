"""mmengine's CheckpointHook, saving so that the run always keeps one complete checkpoint
and a kill never loses a validation (so neither the best checkpoint)."""
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import Iterator, List, Tuple

from mmdet3d.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from .checkpoint_files import remove_partial_files
from .epcl_atomic_local_backend import atomic_write

ATOMIC_BACKEND_ARGS = dict(backend='epcl_atomic_local')
# message-hub key (saved in every checkpoint): the runner.iter of the last validation whose
# results (best checkpoint, best score, selection) the checkpoint already holds
VALIDATED_ITER = 'epcl_validated_iter'


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
    leftover ``.<name>.*.partial`` file, which the next training start removes (logged).

    The epoch's checkpoint is written *before* its validation (mmengine's order), and
    re-written after it only when the best changed. So a kill during the validation or
    the best checkpoint's write leaves a checkpoint that does not hold that validation,
    and mmengine's resume would train on without it (the best of that epoch lost). Here
    every checkpoint records the last validation it holds (``epcl_validated_iter`` in
    the message hub); a resumed run whose checkpoint was due a validation it does not
    hold validates first, before training on, as the uninterrupted run did (also after
    the last epoch). Best checkpoints that the resumed state no longer names (left by a
    kill between the new best's write and the old one's removal) are removed.

    ``EPCLRunner`` switches this hook on in place of ``CheckpointHook`` and resumes from
    the newest complete checkpoint.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deferring = False
        self._training = False

    def before_train(self, runner) -> None:
        out_dir = runner.work_dir if self.out_dir is None else self.out_dir
        local = '://' not in str(out_dir)
        if local and self.backend_args is None and self.file_client_args is None:
            self.backend_args = dict(ATOMIC_BACKEND_ARGS)
        super().before_train(runner)
        self._training = True
        if local and is_main_process():
            for directory in sorted({str(self.out_dir), str(runner.work_dir)}):
                remove_partial_files(directory, runner.logger.warning)
        if runner.iter == 0:  # a fresh run, or load_from: nothing was interrupted
            return
        if local and is_main_process():
            self._remove_superseded_best(runner)
        if self._validation_pending(runner):
            runner.logger.warning(
                f'the checkpoint resumed from (iteration {runner.iter}) was written before '
                'the validation that followed it and holds no result of it (the run stopped '
                'during that validation or the best checkpoint\'s write, or the validation '
                'found no new best, which is not saved): validating now, as the '
                'uninterrupted run did, before training goes on')
            if self.last_ckpt is None:  # so that a new best re-saves it, as mmengine does
                self.last_ckpt = runner.message_hub.get_info('last_ckpt')
            runner.val_loop.run()

    @staticmethod
    def _validation_pending(runner) -> bool:
        """Whether the train loop validated right after the state it resumes from, and the
        checkpoint does not hold that validation (the loops' own rule, mmengine 0.10)."""
        loop = runner.train_loop
        if runner.val_loop is None or not isinstance(loop, (EpochBasedTrainLoop,
                                                            IterBasedTrainLoop)):
            return False
        by_epoch = isinstance(loop, EpochBasedTrainLoop)
        step, last = (loop.epoch, loop.max_epochs) if by_epoch else (loop.iter, loop.max_iters)
        loop._decide_current_val_interval()  # what the loop does before deciding
        due = step >= loop.val_begin and (step % loop.val_interval == 0 or step == last)
        return due and runner.message_hub.get_info(VALIDATED_ITER) != runner.iter

    def _remove_superseded_best(self, runner) -> None:
        """Delete ``best_<key>_<checkpoint name>`` files other than the best checkpoint the
        resumed message hub names (mmengine would have removed them before the kill)."""
        if not self.save_best or 'auto' in self.key_indicators:
            return
        current = {osp.basename(str(p)) for p in (
            [self.best_ckpt_path] if len(self.key_indicators) == 1
            else self.best_ckpt_path_dict.values()) if p}
        step_name = re.escape(self.filename_tmpl).replace(re.escape('{}'), r'\d+')
        names = re.compile('|'.join(re.escape(f'best_{key}_'.replace('/', '_')) + step_name
                                    for key in self.key_indicators))
        out_dir = str(self.out_dir)
        for name in sorted(os.listdir(out_dir)):
            if names.fullmatch(name) and name not in current:
                os.remove(osp.join(out_dir, name))
                runner.logger.warning(
                    f'removed {name}: a best checkpoint that a later one replaced (the run '
                    'was stopped before removing it)')

    def after_val_epoch(self, runner, metrics) -> None:
        if self._training:  # saved with the best checkpoint's re-save of the latest one
            runner.message_hub.update_info(VALIDATED_ITER, runner.iter)
        super().after_val_epoch(runner, metrics)

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
