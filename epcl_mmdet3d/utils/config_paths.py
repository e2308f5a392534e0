"""Find the plugin's configs wherever the package is installed.

OpenMMLab packages ship their configs inside the package, as ``<package>/.mim/configs``
(``setup.py`` copies ``configs/`` there when a wheel is built), and mmengine resolves
``'<package>::<path>'`` against that folder. mmengine's resolution does not fit a plugin
as it stands, in three ways, which :func:`register_config_scope` (run when
``epcl_mmdet3d`` is imported) settles for ``'epcl_mmdet3d::...'`` paths only:

- mmengine accepts only the packages of its ``MODULE2PACKAGE`` table and only paths with
  a folder after ``::`` (``mmdet3d::votenet/x.py``); our task configs sit at the top of
  ``configs/`` (``'epcl_mmdet3d::epcl_scannet_det_demo.py'``).
- It looks in ``<installed package>/.mim``, which an editable install does not have.
- Every dict inherited through ``'<package>::'`` gets ``_scope_='<package>'``, and the
  registries then look for an ``epcl_mmdet3d`` registry that does not exist: our modules
  are registered in mmdet3d's registries. Inherited dicts get ``_scope_='mmdet3d'``.

So ``Config._get_cfg_path`` resolves ``'epcl_mmdet3d::<relative path>'`` through
:func:`resolve_config` (``.mim/configs`` of a wheel, else the source tree's ``configs/``)
and gives it the scope ``'mmdet3d'``; other packages' paths go to mmengine as before.
A config that inherits ours must therefore be read after ``import epcl_mmdet3d``, as
our tools (``epcl-train``, ``tools/train.py``, ...) do.
"""
import os.path as osp

SCOPE = 'epcl_mmdet3d'
_PREFIX = SCOPE + '::'
# the registries our modules live in: what inherited config dicts are built with
BUILD_SCOPE = 'mmdet3d'


def register_config_scope() -> None:
    """Let mmengine's ``Config`` resolve ``'epcl_mmdet3d::...'`` paths (idempotent).

    Wraps ``Config._get_cfg_path`` (mmengine's resolver of ``_base_`` entries): a path
    starting with ``'epcl_mmdet3d::'`` is resolved by :func:`resolve_config` and built
    in the ``'mmdet3d'`` scope; every other path is mmengine's as before.
    """
    from mmengine.config import Config
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault(SCOPE, SCOPE)
    mmengine_get_cfg_path = Config._get_cfg_path
    if getattr(mmengine_get_cfg_path, 'resolves_epcl_mmdet3d', False):
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        if isinstance(cfg_path, str) and cfg_path.startswith(_PREFIX):
            return resolve_config(cfg_path), BUILD_SCOPE
        return mmengine_get_cfg_path(cfg_path, filename)

    _get_cfg_path.resolves_epcl_mmdet3d = True
    Config._get_cfg_path = staticmethod(_get_cfg_path)


def config_dir() -> str:
    """The folder holding the plugin's configs.

    Returns:
        ``<package>/.mim/configs`` in an installed wheel, else the ``configs/`` folder
        of the source tree the package is imported from.
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for candidate in (osp.join(package, '.mim', 'configs'),
                      osp.join(osp.dirname(package), 'configs')):
        if osp.isdir(candidate):
            return candidate
    raise FileNotFoundError(
        f'no configs found next to {package}: neither .mim/configs (a wheel built by '
        "this project's setup.py) nor ../configs (a source checkout). Reinstall the "
        'package from its repository (pip install .) or give a config file path')


def resolve_config(path: str) -> str:
    """A config file path, with ``'epcl_mmdet3d::<relative path>'`` made absolute.

    Args:
        path: a config file path, or ``'epcl_mmdet3d::'`` followed by a path relative
            to the plugin's ``configs/`` folder (e.g. ``'epcl_mmdet3d::epcl_scannet_det_demo.py'``,
            ``'epcl_mmdet3d::ablations/epcl_scannet_det_no-task-token.py'``).

    Returns:
        ``path`` itself when it has no ``epcl_mmdet3d::`` prefix, else the absolute path
        of that config.
    """
    if not path.startswith(_PREFIX):
        return path
    relative = path[len(_PREFIX):].lstrip('/')
    resolved = osp.join(config_dir(), relative)
    if not osp.isfile(resolved):
        raise FileNotFoundError(
            f'{path!r}: no config {relative!r} in {config_dir()}; the plugin ships the '
            'configs listed there (e.g. epcl_scannet_det_demo.py, ablations/...)')
    return resolved
