"""Fetch open_clip weights by tag, or fail at once, saying what to do, where no hub answers.

open_clip downloads a tag's weights from the Hugging Face hub (or a URL) when it builds
the model. Without internet, huggingface_hub retries for about a minute, open_clip
builds the whole model first, and the error names neither our config key nor our export
tool. :func:`create_tagged_clip` first checks, in a few seconds, that the weights' host
answers; where it does not, only the local caches are read (huggingface_hub's offline
mode), and a miss raises :class:`CLIPWeightsUnavailable` whose first line names the
config key to set and the export command to run on a machine with internet.
"""
import os
import socket
from contextlib import contextmanager
from typing import Optional
from urllib.parse import urlparse

EXPORT_TOOL = 'tools/model_converters/export_clip_weights.py'


class CLIPWeightsUnavailable(RuntimeError):
    """A tag's CLIP weights can neither be downloaded nor found in a local cache.

    Args:
        message: what happened and what to do.
        reason: why no download is possible (e.g. 'huggingface.co:443 is unreachable').
    """

    def __init__(self, message: str, reason: str = '') -> None:
        super().__init__(message)
        self.reason = reason


def _weights_url(arch: str, tag: str) -> str:
    """Where open_clip would download ``arch``/``tag`` from (hub endpoint or URL)."""
    import open_clip
    from open_clip.pretrained import has_hf_hub

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if cfg.get('hf_hub') and has_hf_hub():
        from huggingface_hub import constants
        return constants.ENDPOINT
    return cfg.get('url', '')


def unreachable(url: str, timeout: float = 3.0) -> Optional[str]:
    """Why ``url``'s host cannot be reached now, or None when it answers.

    The proxy of ``https_proxy`` / ``all_proxy`` is tried instead where one is set;
    ``HF_HUB_OFFLINE=1`` counts as unreachable.
    """
    if os.environ.get('HF_HUB_OFFLINE', '').upper() in ('1', 'ON', 'YES', 'TRUE'):
        return 'HF_HUB_OFFLINE is set'
    proxy = next((os.environ[k] for k in ('https_proxy', 'HTTPS_PROXY', 'all_proxy',
                                          'ALL_PROXY') if os.environ.get(k)), None)
    target = urlparse(proxy or url)
    host = target.hostname
    port = target.port or (80 if target.scheme == 'http' else 443)
    if not host:
        return f'no host in {url!r}'
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        return f'{host}:{port} is unreachable ({err})'
    return None


@contextmanager
def _cache_only():
    """huggingface_hub's offline mode for the duration (it reads its flag per call)."""
    from huggingface_hub import constants
    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


def unavailable_message(arch: str, tag: str, reason: str) -> str:
    """The error of weights that cannot be fetched: the key and the command first."""
    name = f'checkpoints/clip_{arch.lower().replace("-", "_")}_{tag}.pth'
    return (f'CLIP weights {arch}/{tag} cannot be downloaded here and are in no local '
            f'cache ({reason}): set model.backbone.clip.pretrained=<file> (e.g. '
            f'--cfg-options model.backbone.clip.pretrained={name}), a file written on a '
            f'machine with internet by `python {EXPORT_TOOL} {arch} {tag} {name}`.\n'
            '(In the configs of configs/mmdet3d_models the key is '
            'model.backbone.encoder.clip.pretrained; the file records the architecture '
            'and the activation, so nothing else changes.)')


def create_tagged_clip(arch: str, tag: str, **kwargs):
    """``open_clip.create_model(arch, pretrained=tag, **kwargs)``, failing fast offline.

    Raises:
        CLIPWeightsUnavailable: the weights' host does not answer and no local cache
            holds them, or the download failed.
    """
    import open_clip
    from open_clip.pretrained import download_pretrained

    reason = unreachable(_weights_url(arch, tag))
    if reason is None:
        try:
            return open_clip.create_model(arch, pretrained=tag, **kwargs)
        except Exception as err:
            raise CLIPWeightsUnavailable(unavailable_message(arch, tag, str(err)),
                                         str(err)) from err
    with _cache_only():
        cfg = open_clip.get_pretrained_cfg(arch, tag)
        url = cfg.get('url', '')
        cached_url = url and not cfg.get('hf_hub') and os.path.isfile(
            os.path.join(os.path.expanduser('~/.cache/clip'), os.path.basename(url)))
        try:
            if not (cfg.get('hf_hub') or cached_url):
                raise FileNotFoundError(url)
            download_pretrained(cfg)  # the cache, or an error at once
        except Exception:
            raise CLIPWeightsUnavailable(unavailable_message(arch, tag, reason),
                                         reason) from None
        return open_clip.create_model(arch, pretrained=tag, **kwargs)
