"""``--launcher pytorch`` on a machine without CUDA: a gloo process group and DDP on CPU."""
import datetime
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log


def prepare_cpu_distributed(cfg: Config) -> None:
    """Let mmengine's Runner train or test with several processes on CPUs only.

    mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device(LOCAL_RANK)``
    before it creates the process group, and its Runner wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``; both fail without CUDA. Here, when the launcher is
    ``pytorch`` and no CUDA device is visible, the process group is created over gloo
    (the Runner then skips its own initialisation) and the DDP wrapper is configured
    with ``device_ids=None``, which is how DDP wraps a CPU module. With CUDA, or
    without a launcher, nothing changes.

    Args:
        cfg: the run's config, after ``launcher`` was set on it; edited in place.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(
            f"launcher '{launcher}' needs CUDA devices with mmengine 0.10.7; on a machine "
            "without CUDA start the processes with torchrun (tools/dist_train.sh) and "
            '--launcher pytorch')
    missing = [key for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if key not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch expects the variables torchrun sets, {missing} are '
            'missing; start the script with torchrun or tools/dist_train.sh')
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    if dist_cfg.get('backend', 'gloo') != 'gloo':
        print_log(f"no CUDA device: distributed backend '{dist_cfg['backend']}' "
                  "replaced by 'gloo'", logger='current')
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper['device_ids'] = None  # a CPU module: DDP takes no device ids
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        timeout = dist_cfg.get('timeout')
        kwargs = (dict(timeout=datetime.timedelta(seconds=timeout))
                  if timeout is not None else {})
        torch_dist.init_process_group(backend='gloo', **kwargs)
