"""mmengine's ``DefaultOptimWrapperConstructor`` with our no-decay defaults, checked keys and
frozen parameters left out."""
import difflib
import inspect
import logging
import math
import numbers
from contextlib import contextmanager
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from mmdet3d.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

# every key mmengine 0.10's DefaultOptimWrapperConstructor reads from paramwise_cfg
PARAMWISE_KEYS = ('bias_decay_mult', 'bias_lr_mult', 'bypass_duplicate', 'custom_keys',
                  'dcn_offset_lr_mult', 'dwconv_decay_mult', 'flat_decay_mult',
                  'norm_decay_mult')
_DECAY_KEYS = ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult', 'flat_decay_mult')
_MULT_KEYS = _DECAY_KEYS + ('bias_lr_mult', 'dcn_offset_lr_mult')
# mmengine's log lines per tensor (a frozen tower has hundreds); the group table replaces them
_PER_TENSOR_LOGS = ('is skipped since its requires_grad=False', 'paramwise_options -- ')


def _not_per_tensor(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _PER_TENSOR_LOGS)


@contextmanager
def _per_tensor_logs_dropped() -> Iterator[None]:
    logger = MMLogger.get_current_instance()
    logger.addFilter(_not_per_tensor)
    try:
        yield
    finally:
        logger.removeFilter(_not_per_tensor)


def _check_multiplier(where: str, value) -> None:
    """A multiplier must be a finite number >= 0 (0 switches the rate or decay off)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and value >= 0):
        raise ValueError(f'{where} is {value!r}, but a multiplier must be a finite number '
                         '>= 0: it multiplies the base lr / weight_decay (1. keeps it, 0. '
                         'switches it off); fix the config value')


def _target(name: str) -> str:
    """The string mmengine matches custom keys against: ``'{prefix}.{name}'``, where a
    top-level parameter has prefix ``''``."""
    return name if '.' in name else f'.{name}'


def _custom_key(name: str, keys: Iterable[str]) -> Optional[str]:
    """The custom key mmengine applies to parameter ``name``: the longest one contained in
    ``'{prefix}.{name}'`` (ties: alphabetical), or None."""
    target = _target(name)
    return next((k for k in sorted(sorted(keys), key=len, reverse=True) if k in target), None)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class EPCLOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` over the trainable parameters only.

    mmengine builds the parameter groups (``custom_keys``, ``bias_lr_mult``, ``*_decay_mult``,
    ``dcn_offset_lr_mult``, ``bypass_duplicate``): each parameter gets exactly what it gets
    there for the same ``paramwise_cfg``. Added here:

    - Defaults as paramwise keys (``default_paramwise_cfg``, only when the optimizer has a
      ``weight_decay``): no decay on biases, norms, 1-D and 0-d tensors (e.g. the text
      head's ``logit_scale``) and names holding ``embedding`` / ``pos_embed`` /
      ``cls_token`` / ``query_pos``. The config's ``paramwise_cfg`` is merged over them
      key by key (``custom_keys`` entry by entry).
    - ``flat_decay_mult`` also covers 0-d parameters (mmengine's rule checks ``ndim == 1``
      only), where no custom key and no bias / norm rule decides.
    - Frozen parameters never reach the optimizer (also without ``paramwise_cfg``, where
      mmengine passes ``model.parameters()``): ``requires_grad=False`` ones are left out
      without a warning each, and a parameter of a frozen module (one with
      ``frozen_parameters()``, e.g. a ``BaseFrozenTower``) that requires grad is an error.
    - Errors for unknown ``paramwise_cfg`` keys, ``custom_keys`` entries that are neither
      ``lr_mult`` / ``decay_mult`` / ``skip_grad_clip`` nor an optimizer argument, a
      multiplier that is not a finite number >= 0, a config ``custom_keys`` key that
      matches no trainable parameter (a typo, or only frozen ones), and a tensor reached
      twice without ``bypass_duplicate=True``.
    - Tensors with equal settings share a group, tagged by the custom key that decided or
      by its multipliers; the groups are logged as a table; a warning says where a custom
      key of the config turns decay back on or is outranked by a longer default key.

    Args:
        optim_wrapper_cfg: mmengine optim wrapper config (with ``optimizer``), any type.
        paramwise_cfg: mmengine ``paramwise_cfg``, merged over ``default_paramwise_cfg``.
    """

    default_paramwise_cfg = dict(
        bias_decay_mult=0.0, norm_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={key: dict(decay_mult=0.0)
                     for key in ('embedding', 'pos_embed', 'cls_token', 'query_pos')})

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(cfg) - set(PARAMWISE_KEYS))
        if unknown:
            raise ValueError(f'paramwise_cfg has unknown keys {unknown}; mmengine reads only '
                             f'{list(PARAMWISE_KEYS)} (check the spelling)')
        for key in _MULT_KEYS:
            if cfg.get(key) is not None:  # None: the rule is off (also one of our defaults)
                _check_multiplier(f'paramwise_cfg.{key}', cfg[key])
        user_keys = dict(cfg.get('custom_keys') or {})
        for key, opts in user_keys.items():
            if not isinstance(opts, dict):
                raise TypeError(f'paramwise_cfg.custom_keys[{key!r}] must be a dict such as '
                                f'dict(lr_mult=0.1), got {opts!r}')
            for mult in ('lr_mult', 'decay_mult'):
                if mult in opts:
                    _check_multiplier(f'paramwise_cfg.custom_keys[{key!r}].{mult}', opts[mult])
        base_wd = optim_wrapper_cfg.get('optimizer', {}).get('weight_decay')
        for key in _DECAY_KEYS:
            if key in cfg and base_wd is None:
                raise ValueError(f'paramwise_cfg.{key} multiplies the weight decay, but the '
                                 'optimizer config has no weight_decay; set one or drop it')
        if base_wd is not None:
            defaults = self.default_paramwise_cfg
            cfg = {**defaults, **cfg, 'custom_keys': {**defaults['custom_keys'], **user_keys}}
        self.user_custom_keys = frozenset(user_keys)
        super().__init__(optim_wrapper_cfg, cfg)

    def _check(self, model: nn.Module, optimizer_cls: type) -> Tuple[Dict[int, str], int]:
        """Refuse unknown custom_keys entries, shared tensors, and trainable frozen ones.

        Returns:
            ({id: name} of the parameters that require grad, frozen parameter elements).
        """
        accepted = {'lr_mult', 'decay_mult', 'skip_grad_clip'} | (  # skip_grad_clip: read
            set(inspect.signature(optimizer_cls).parameters) - {'self', 'params'})  # by
        for key, opts in self.paramwise_cfg.get('custom_keys', {}).items():  # our wrapper
            bad = sorted(set(opts) - accepted)
            if bad:
                raise ValueError(
                    f'paramwise_cfg.custom_keys[{key!r}] has {bad}, which is neither lr_mult '
                    f'/ decay_mult / skip_grad_clip nor an argument of {optimizer_cls.__name__}'
                    f' ({sorted(accepted - {"lr_mult", "decay_mult"})}); check the spelling')
        names: Dict[int, str] = {}
        for name, param in model.named_parameters(remove_duplicate=False):
            if param.requires_grad and id(param) in names and not self.paramwise_cfg.get(
                    'bypass_duplicate', False):
                raise ValueError(
                    f'{name} is the same parameter as {names[id(param)]} (shared between '
                    'modules), so it would enter the optimizer twice; set '
                    'paramwise_cfg=dict(bypass_duplicate=True) to optimise it once')
            if param.requires_grad:
                names.setdefault(id(param), name)
        frozen_numel = 0
        for module in model.modules():
            for param in (module.frozen_parameters()
                          if callable(getattr(module, 'frozen_parameters', None)) else ()):
                if param.requires_grad:
                    raise ValueError(
                        f'{names[id(param)]} belongs to a frozen module but requires grad, so '
                        'it would be optimised. Either keep it frozen (do not set '
                        'requires_grad=True on it) or build that module with frozen=False')
                frozen_numel += param.numel()
        if not names:
            raise ValueError('the model has no trainable parameter: nothing to optimise. '
                             'Check that the tokenizer / heads were built and not frozen')
        self._check_user_keys_match(model, names)
        return names, frozen_numel

    def _check_user_keys_match(self, model: nn.Module, names: Dict[int, str]) -> None:
        """Refuse a config custom key that reaches no trainable parameter (it would do
        nothing): a misspelling, or a key of frozen parameters only. A key that overrides
        one of our default keys is exempt (it is about the defaults, not this model)."""
        trainable = [_target(n) for n in names.values()]
        for key in sorted(self.user_custom_keys - set(self.default_paramwise_cfg['custom_keys'])):
            if any(key in target for target in trainable):
                continue
            frozen = [n for n, p in model.named_parameters()
                      if not p.requires_grad and key in _target(n)]
            if frozen:
                raise ValueError(
                    f'paramwise_cfg.custom_keys[{key!r}] matches only frozen parameters '
                    f'({len(frozen)}, e.g. {frozen[0]}), which never reach the optimizer, so '
                    'it does nothing. Remove it, or build that module with frozen=False '
                    '(e.g. model.backbone.clip.frozen=False) to train it')
            prefixes = sorted({t.strip('.').rsplit('.', i)[0] for t in trainable
                               for i in range(t.count('.') + 1)})
            close = difflib.get_close_matches(key, prefixes, n=3)
            raise ValueError(
                f'paramwise_cfg.custom_keys[{key!r}] matches no parameter of the model (a '
                "custom key applies to parameters whose name contains it), so it does "
                'nothing. ' + (f'Did you mean {" or ".join(map(repr, close))}? ' if close
                               else f'Parameter names look like {trainable[0].strip(".")!r}. ')
                + 'Fix or remove the key')

    def _mmengine_groups(self, model: nn.Module, custom_keys: dict) -> List[dict]:
        """mmengine's groups (one per trainable tensor) with ``custom_keys`` as the keys."""
        cfg, groups = self.paramwise_cfg, []
        self.paramwise_cfg = dict(cfg, custom_keys=custom_keys)
        try:
            with _per_tensor_logs_dropped():
                self.add_params(groups, model)
        finally:
            self.paramwise_cfg = cfg
        flat = cfg.get('flat_decay_mult')
        if self.base_wd is not None and flat is not None:
            for group in groups:  # no rule decided a 0-d tensor: the flat rule does
                if group['params'][0].ndim == 0 and 'weight_decay' not in group:
                    group['weight_decay'] = self.base_wd * flat
        return groups

    def _tag(self, name: str, options: dict) -> str:
        """What decided a parameter's settings: its custom key, or its multipliers."""
        key = _custom_key(name, self.paramwise_cfg.get('custom_keys', {}))
        if key is not None:
            return f'custom_keys[{key!r}]'
        parts = [f'{mult}={options[opt] / base:g}' if base else f'{opt}={options[opt]:g}'
                 for opt, mult, base in (('lr', 'lr_mult', self.base_lr),
                                         ('weight_decay', 'decay_mult', self.base_wd))
                 if opt in options]
        return '+'.join(parts) or 'base'

    def _warn_about_config_keys(self, model: nn.Module, names: Dict[int, str],
                                groups: List[dict]) -> None:
        """Where a config key gives more decay than the defaults alone would, or where a
        longer default key outranks it (both mmengine's rules, easily unexpected)."""
        keys = self.paramwise_cfg.get('custom_keys', {})
        without = {}  # weight decay without the config's custom keys
        if self.user_custom_keys and self.base_wd is not None:
            defaults = {k: v for k, v in keys.items() if k not in self.user_custom_keys}
            without = {id(g['params'][0]): g.get('weight_decay', self.base_wd)
                       for g in self._mmengine_groups(model, defaults)}
        found: Dict[tuple, List[str]] = {}
        for group, param in ((g, p) for g in groups for p in g['params']):
            name = names[id(param)]
            key, user_key = _custom_key(name, keys), _custom_key(name, self.user_custom_keys)
            if key == user_key and user_key is not None and id(param) in without and (
                    without[id(param)] < group.get('weight_decay', self.base_wd)):
                found.setdefault((key, None), []).append(name)
            elif key != user_key and user_key is not None:
                found.setdefault((key, user_key), []).append(name)
        for (key, user_key), tensors in found.items():
            msg = (f'custom_keys[{key!r}] gives {len(tensors)} tensors (e.g. {tensors[0]}) '
                   'more weight decay than the default rules would (no decay on biases, '
                   'norms, 1-D tensors, tokens, position embeddings; in mmengine a custom '
                   'key overrides them); add decay_mult=0. to that key, or a longer key for '
                   'those tensors, if that is not wanted') if user_key is None else (
                f'{len(tensors)} tensors (e.g. {tensors[0]}) match your custom key '
                f'{user_key!r} and the default {key!r}; the longer key wins (mmengine), so '
                f'{user_key!r} does not apply to them; add a longer key if it should')
            print_log(f'EPCLOptimWrapperConstructor: {msg}', logger='current',
                      level=logging.WARNING)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        model = model.module if hasattr(model, 'module') else model
        optimizer_cls = self.optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cls)
        names, frozen_numel = self._check(model, optimizer_cls)
        groups: Dict[tuple, dict] = {}  # tensors with equal settings share a group
        for options in self._mmengine_groups(model, self.paramwise_cfg.get('custom_keys', {})):
            (param, ) = options.pop('params')
            tag = self._tag(names[id(param)], options)
            groups.setdefault((tag, repr(sorted(options.items()))),
                              dict(options, params=[], tag=tag))['params'].append(param)
        groups = list(groups.values())
        self._warn_about_config_keys(model, names, groups)
        self._log_groups(model, groups, frozen_numel)
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg[next(iter(inspect.signature(optimizer_cls).parameters))] = groups
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=OPTIMIZERS.build(optimizer_cfg)))

    def _log_groups(self, model: nn.Module, groups: List[dict], frozen_numel: int) -> None:
        lines = [f'{"group":<40} {"lr":>10} {"decay":>10} {"tensors":>8} {"elements":>12}']
        for group in groups:
            lines.append(f'{group["tag"]:<40} {group.get("lr", self.base_lr)!s:>10} '
                         f'{group.get("weight_decay", self.base_wd)!s:>10} '
                         f'{len(group["params"]):>8} '
                         f'{sum(p.numel() for p in group["params"]):>12,}')
        trainable = sum(p.numel() for g in groups for p in g['params'])
        skipped = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        print_log('EPCLOptimWrapperConstructor param groups:\n' + '\n'.join(lines) + (
            f'\n{trainable:,} trainable parameters optimised; {frozen_numel:,} frozen (of which '
            f'none reach the optimizer); {skipped:,} with requires_grad=False skipped in total'),
            logger='current')
