"""Build the runner a config asks for, the way every tool of ours does."""
from mmengine.config import Config
from mmengine.registry import RUNNERS, init_default_scope
from mmengine.runner import Runner


def build_runner(cfg: Config) -> Runner:
    """``cfg.runner_type`` (e.g. ``'EPCLRunner'``, in our base runtime) or mmengine's Runner.

    The runner type is registered in mmdet3d's registry, which mmengine's root registry
    searches only under a default scope: the config's ``default_scope`` ('mmdet3d') is set
    first, as the Runner would set it anyway.
    """
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    return RUNNERS.build(cfg)
