"""Package-level helpers: where the shipped configs are, which dtypes run fast here, CLIP
weights by tag (offline too)."""
from .clip_download import CLIPWeightsUnavailable, create_tagged_clip
from .config_paths import config_dir, register_config_scope, resolve_config
from .dtype_support import SlowDtypeWarning, resolve_dtype

__all__ = [
    'CLIPWeightsUnavailable', 'SlowDtypeWarning', 'config_dir', 'create_tagged_clip',
    'register_config_scope', 'resolve_config', 'resolve_dtype'
]
