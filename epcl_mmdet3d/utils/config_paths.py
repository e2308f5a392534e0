"""Find the plugin's configs wherever the package is installed.

OpenMMLab packages ship their configs inside the package, as ``<package>/.mim/configs``
(``setup.py`` copies ``configs/`` there when a wheel is built), and mmengine resolves
``'<package>::<path>'`` against that folder. We do the same, with two additions:

- mmengine only accepts packages listed in its ``MODULE2PACKAGE`` table, so importing
  ``epcl_mmdet3d`` adds itself there (:func:`register_config_scope`). After that,
  ``_base_ = ['epcl_mmdet3d::_base_/models/epcl_vit-b16.py']`` works in a user's config.
- mmengine's parser wants a folder in the path after ``::`` (``mmdet3d::votenet/x.py``),
  and our task configs sit at the top of ``configs/``. :func:`resolve_config` (used by
  every tool in ``tools/``) takes ``'epcl_mmdet3d::epcl_scannet_det_demo.py'`` too.

In a source checkout or an editable install there is no ``.mim``: the repository's own
``configs/`` folder is used.
"""
import os.path as osp

SCOPE = 'epcl_mmdet3d'
_PREFIX = SCOPE + '::'


def register_config_scope() -> None:
    """Let mmengine resolve ``'epcl_mmdet3d::...'`` config paths (idempotent)."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault(SCOPE, SCOPE)


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
