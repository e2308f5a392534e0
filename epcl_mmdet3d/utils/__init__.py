"""Package-level helpers: where the shipped configs are."""
from .config_paths import config_dir, register_config_scope, resolve_config

__all__ = ['config_dir', 'register_config_scope', 'resolve_config']
