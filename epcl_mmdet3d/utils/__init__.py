"""Package-level helpers: where the shipped configs are, which dtypes run fast here."""
from .config_paths import config_dir, register_config_scope, resolve_config
from .dtype_support import SlowDtypeWarning, resolve_dtype

__all__ = ['SlowDtypeWarning', 'config_dir', 'register_config_scope', 'resolve_config',
           'resolve_dtype']
