"""Save and restore every random stream training draws from, so a resumed run is the same run."""
import random
from typing import Optional

import numpy as np
import torch
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook

STATE_KEY = 'epcl_random_state'


def capture_random_state() -> dict:
    """The states of python's, numpy's and torch's (CPU, CUDA) global generators."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        # numpy's MT19937 state as a tensor and plain numbers (weights-only loadable)
        numpy=dict(name=np_name, keys=torch.from_numpy(np_keys.astype(np.int64)),
                   pos=int(np_pos), has_gauss=int(np_has_gauss), gauss=float(np_gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> list:
    """Set the generators captured by :func:`capture_random_state`.

    Returns:
        The names of the generators restored.
    """
    restored = []
    python = state['python']
    random.setstate((python[0], tuple(python[1]), python[2]))
    restored.append('python')
    np_state = state['numpy']
    np.random.set_state((np_state['name'], np_state['keys'].numpy().astype(np.uint32),
                         np_state['pos'], np_state['has_gauss'], np_state['gauss']))
    restored.append('numpy')
    torch.set_rng_state(state['torch'])
    restored.append('torch')
    if 'cuda' in state and torch.cuda.is_available():
        cuda = state['cuda']
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
            restored.append('cuda')
    return restored


@HOOKS.register_module()
class EPCLRandomStateHook(Hook):
    """Make ``--resume`` continue the interrupted run exactly (single process).

    mmengine 0.10 reseeds at start-up and restores weights, optimizer, schedulers and
    the epoch, but not the random streams the pipeline (numpy, python), dropout and the
    loader (torch) draw from, so a resumed run differs from the first step on.

    - Every checkpoint gets ``epcl_random_state``: python, numpy, torch (and CUDA)
      generator states and the train sampler's seed.
    - On resume (a checkpoint loaded and the loop past iteration 0) they are put back
      just before training continues; a checkpoint without them gets a warning.
    - Validation draws from the same generators (``PointSample`` of the test pipeline,
      the loader): the training streams are set aside before it and put back after,
      so the training run does not depend on when (or whether) it validates, and the
      states a checkpoint written during validation holds are the training ones.

    Exact only with ``num_workers=0`` (worker processes restart their own streams when
    a run resumes) and one process.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._training_state: Optional[dict] = None
        self._loaded: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = self._training_state or capture_random_state()
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        state = dict(state, sampler_seed=getattr(sampler, 'seed', None))
        checkpoint[STATE_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(STATE_KEY)

    def before_train(self, runner) -> None:
        if runner.iter == 0:  # a fresh run, or load_from (fine-tuning): nothing to restore
            self._loaded = None
            return
        if self._loaded is None:
            runner.logger.warning(
                'resumed from a checkpoint without random states (written before '
                'EPCLRandomStateHook was on): training goes on, but not exactly as the '
                'interrupted run would have')
            return
        state, self._loaded = self._loaded, None
        seed = state.get('sampler_seed')
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        if seed is not None and getattr(sampler, 'seed', seed) != seed:
            sampler.seed = seed
        restored = restore_random_state(state)
        runner.logger.info(f'resumed random states: {", ".join(restored)}'
                           + (f', sampler seed {seed}' if seed is not None else ''))

    def before_val(self, runner) -> None:
        if self._training_state is None:
            self._training_state = capture_random_state()

    def after_val(self, runner) -> None:
        if self._training_state is not None:
            restore_random_state(self._training_state)
            self._training_state = None
