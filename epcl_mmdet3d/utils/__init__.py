"""Package-level helpers: where the shipped configs are; CLIP weights by tag, offline too."""
from .clip_download import CLIPWeightsUnavailable, create_tagged_clip
from .config_paths import config_dir, register_config_scope, resolve_config

__all__ = [
    'CLIPWeightsUnavailable', 'config_dir', 'create_tagged_clip', 'register_config_scope',
    'resolve_config'
]
