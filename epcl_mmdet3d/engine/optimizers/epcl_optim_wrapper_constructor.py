"""Optimizer wrapper constructor: mmengine's ``paramwise_cfg`` rules over trainable parameters."""
import inspect
import logging
from typing import Dict, List, Optional, Tuple

from mmdet3d.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.utils.dl_utils import mmcv_full_available
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)
# every key mmengine 0.10's DefaultOptimWrapperConstructor reads from paramwise_cfg
PARAMWISE_KEYS = ('bias_decay_mult', 'bias_lr_mult', 'bypass_duplicate', 'custom_keys',
                  'dcn_offset_lr_mult', 'dwconv_decay_mult', 'flat_decay_mult',
                  'norm_decay_mult')
_DECAY_KEYS = ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult', 'flat_decay_mult')


def _dcn_types() -> tuple:
    if not mmcv_full_available():
        return ()
    from mmcv.ops import DeformConv2d, ModulatedDeformConv2d
    return (DeformConv2d, ModulatedDeformConv2d)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class EPCLOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's parameter-wise optimizer settings, over the trainable parameters only.

    Each trainable parameter gets exactly the ``lr`` / ``weight_decay`` (and any other
    ``custom_keys`` entries) that mmengine's ``DefaultOptimWrapperConstructor`` would give
    it for the same ``paramwise_cfg`` (``custom_keys`` with ``lr_mult`` / ``decay_mult``,
    the longest matching key winning and overriding every other rule; ``bias_lr_mult``,
    ``bias_decay_mult``, ``norm_decay_mult``, ``dwconv_decay_mult``, ``flat_decay_mult``,
    ``dcn_offset_lr_mult``, ``bypass_duplicate``). What differs from mmengine:

    - Defaults (``default_paramwise_cfg``): no weight decay on biases, norm layers, 1-D
      tensors, and parameters whose name holds ``embedding`` / ``pos_embed`` /
      ``cls_token`` / ``query_pos`` (task tokens, position embeddings). The config's
      ``paramwise_cfg`` is merged over them key by key (``custom_keys`` entry by entry);
      set e.g. ``bias_decay_mult=1.0`` or ``custom_keys={'pos_embed': dict(decay_mult=1.)}``
      to undo one. They apply only when the optimizer has a ``weight_decay``.
    - Parameters with ``requires_grad=False`` are left out without one warning each (a
      frozen CLIP tower has hundreds); a parameter of a frozen module (one exposing
      ``frozen_parameters()``) that requires grad is an error.
    - Unknown ``paramwise_cfg`` keys, and ``custom_keys`` entries that are neither
      ``lr_mult`` / ``decay_mult`` nor a hyper-parameter of the optimizer, are errors
      (mmengine ignores the first and passes the second silently to the optimizer).
    - A trainable parameter reached twice is an error unless ``bypass_duplicate=True``
      (mmengine leaves it to torch's "appear in more than one parameter group").
    - Parameters with identical settings share one param group; the groups are logged
      (name, lr, weight decay, tensors, elements), and a warning says where a custom key
      turns weight decay back on for biases / norms / 1-D tensors, or where a default key
      outranks one of the config's keys.

    Works with any optimizer wrapper type (``OptimWrapper``, ``AmpOptimWrapper``).

    Args:
        optim_wrapper_cfg: mmengine optim wrapper config (with ``optimizer``).
        paramwise_cfg: mmengine ``paramwise_cfg``, merged over ``default_paramwise_cfg``.
    """

    default_paramwise_cfg = dict(
        bias_decay_mult=0.0, norm_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={key: dict(decay_mult=0.0)
                     for key in ('embedding', 'pos_embed', 'cls_token', 'query_pos')})

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        user = dict(paramwise_cfg or {})
        unknown = sorted(set(user) - set(PARAMWISE_KEYS))
        if unknown:
            raise ValueError(f'paramwise_cfg has unknown keys {unknown}; mmengine reads only '
                             f'{list(PARAMWISE_KEYS)} (check the spelling)')
        user_keys = dict(user.get('custom_keys') or {})
        for key, opts in user_keys.items():
            if not isinstance(opts, dict):
                raise TypeError(f'paramwise_cfg.custom_keys[{key!r}] must be a dict such as '
                                f'dict(lr_mult=0.1), got {opts!r}')
        base_wd = optim_wrapper_cfg.get('optimizer', {}).get('weight_decay')
        for key in _DECAY_KEYS:
            if key in user and base_wd is None:
                raise ValueError(f'paramwise_cfg.{key} multiplies the weight decay, but the '
                                 'optimizer config has no weight_decay; set one or drop it')
        merged = dict(user)
        if base_wd is not None:
            defaults = self.default_paramwise_cfg
            merged = {**{k: v for k, v in defaults.items() if k != 'custom_keys'}, **user}
            merged['custom_keys'] = {**defaults['custom_keys'], **user_keys}
        self.user_custom_keys = frozenset(user_keys)
        super().__init__(optim_wrapper_cfg, merged)

    @staticmethod
    def check_frozen(model: nn.Module) -> int:
        """Raise if a frozen module has a parameter that requires grad.

        Returns:
            The number of frozen parameter elements.
        """
        frozen_numel = 0
        for mod_name, module in model.named_modules():
            getter = getattr(module, 'frozen_parameters', None)
            if not callable(getter):
                continue
            names = {id(p): n for n, p in module.named_parameters()}
            for param in getter():
                if param.requires_grad:
                    raise ValueError(
                        f'{mod_name or "model"}.{names.get(id(param), "?")} belongs to a '
                        'frozen module but requires grad, so it would be optimised. '
                        'Either keep it frozen (do not set requires_grad=True on it) or '
                        'build that module with frozen=False')
                frozen_numel += param.numel()
        return frozen_numel

    def _custom_key(self, key_name: str, keys) -> Optional[str]:
        """The longest of ``keys`` in ``key_name`` (ties: alphabetical), as mmengine picks."""
        for key in sorted(sorted(keys), key=len, reverse=True):
            if key in key_name:
                return key
        return None

    def param_options(self, name: str, param: nn.Parameter, module: nn.Module,
                      prefix: str, is_dcn_module: bool) -> Tuple[str, dict]:
        """The param-group options mmengine's rules give one parameter.

        Returns:
            (tag naming the rule that decided, options without ``params``).
        """
        full_name = f'{prefix}.{name}' if prefix else name
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        rules: List[str] = []
        options = self._rule_options(name, param, module, prefix, is_dcn_module, rules)
        key_name = f'{prefix}.{name}'  # the string mmengine matches custom keys against
        key = self._custom_key(key_name, custom_keys)
        if key is None:
            return '+'.join(rules) or 'base', options
        opts = custom_keys[key]
        custom = dict(lr=self.base_lr * opts.get('lr_mult', 1.0))
        if self.base_wd is not None:
            custom['weight_decay'] = self.base_wd * opts.get('decay_mult', 1.0)
        custom.update(opts)
        if key in self.user_custom_keys and self.base_wd is not None:
            # what the parameter would get without the config's own keys
            default_key = self._custom_key(key_name, set(custom_keys) - self.user_custom_keys)
            without = (self.base_wd * custom_keys[default_key].get('decay_mult', 1.0)
                       if default_key is not None
                       else options.get('weight_decay', self.base_wd))
            if without < custom['weight_decay']:
                self._warnings.setdefault(('decay', key), []).append(full_name)
        elif key not in self.user_custom_keys:
            shadowed = self._custom_key(key_name, self.user_custom_keys)
            if shadowed is not None:
                self._warnings.setdefault(('shadow', key, shadowed), []).append(full_name)
        return f'custom_keys[{key!r}]', custom

    def _rule_options(self, name: str, param: nn.Parameter, module: nn.Module, prefix: str,
                      is_dcn_module: bool, rules: List[str]) -> dict:
        """lr / weight decay from the bias, norm, depth-wise, flat and DCN rules."""
        cfg, options = self.paramwise_cfg, {}
        is_norm = isinstance(module, _NORMS)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        bias_lr_mult = cfg.get('bias_lr_mult')
        if name == 'bias' and not (is_norm or is_dcn_module) and bias_lr_mult is not None:
            options['lr'] = self.base_lr * bias_lr_mult
            rules.append('bias_lr')
        dcn_offset_lr_mult = cfg.get('dcn_offset_lr_mult')
        if ('conv_offset' in prefix and is_dcn_module and dcn_offset_lr_mult is not None
                and isinstance(module, nn.Conv2d)):
            options['lr'] = self.base_lr * dcn_offset_lr_mult
            rules.append('dcn_offset_lr')
        if self.base_wd is None:
            return options
        # one decay rule, in mmengine's order of precedence
        for rule, applies in (
                ('norm_decay_mult', is_norm),
                ('bias_decay_mult', name == 'bias' and not is_dcn_module),
                ('dwconv_decay_mult', is_dwconv),
                ('flat_decay_mult', param.ndim == 1 and not is_dcn_module)):
            if applies and cfg.get(rule) is not None:
                options['weight_decay'] = self.base_wd * cfg[rule]
                rules.append(rule[:-len('_mult')])
                break
        return options

    def _collect(self, module: nn.Module, prefix: str, is_dcn_module: bool,
                 entries: List, seen: Dict[int, str], dcn_types: tuple) -> None:
        """Walk the modules as mmengine's ``add_params`` does (children after parameters)."""
        for name, param in module.named_parameters(recurse=False):
            full_name = f'{prefix}.{name}' if prefix else name
            if not param.requires_grad:
                self._skipped_numel += param.numel()
                continue
            if id(param) in seen:
                if self.paramwise_cfg.get('bypass_duplicate', False):
                    print_log(f'{full_name} is the same tensor as {seen[id(param)]}; '
                              'optimised once (bypass_duplicate=True)', logger='current')
                    continue
                raise ValueError(
                    f'{full_name} is the same parameter as {seen[id(param)]} (shared '
                    'between modules), so it would enter the optimizer twice; set '
                    'paramwise_cfg=dict(bypass_duplicate=True) to optimise it once')
            seen[id(param)] = full_name
            tag, options = self.param_options(name, param, module, prefix, is_dcn_module)
            entries.append((full_name, param, tag, options))
        child_is_dcn = isinstance(module, dcn_types) if dcn_types else False
        for child_name, child in module.named_children():
            child_prefix = f'{prefix}.{child_name}' if prefix else child_name
            self._collect(child, child_prefix, child_is_dcn, entries, seen, dcn_types)

    def _check_custom_entries(self, optimizer_cls) -> None:
        """Every custom_keys entry must be a multiplier, a hyper-parameter of the optimizer,
        or ``skip_grad_clip`` (read by ``EPCLSelectiveClipOptimWrapper``)."""
        accepted = {'lr_mult', 'decay_mult', 'skip_grad_clip'} | (
            set(inspect.signature(optimizer_cls).parameters) - {'self', 'params'})
        for key, opts in self.paramwise_cfg.get('custom_keys', {}).items():
            bad = sorted(set(opts) - accepted)
            if bad:
                raise ValueError(
                    f'paramwise_cfg.custom_keys[{key!r}] has {bad}, which is neither '
                    f'lr_mult / decay_mult / skip_grad_clip nor an argument of '
                    f'{optimizer_cls.__name__} '
                    f'({sorted(accepted - {"lr_mult", "decay_mult"})}); check the spelling')

    def _warn(self) -> None:
        for what, names in self._warnings.items():
            if what[0] == 'decay':
                msg = (f'custom_keys[{what[1]!r}] gives {len(names)} tensors (e.g. '
                       f'{names[0]}) more weight decay than the default rules would (no '
                       'decay on biases, norms, 1-D tensors, tokens, position embeddings; '
                       'in mmengine a custom key overrides them); add decay_mult=0. to '
                       'that key, or a longer key for those tensors, if that is not wanted')
            else:
                msg = (f'{len(names)} tensors (e.g. {names[0]}) match your custom key '
                       f'{what[2]!r} and the default {what[1]!r}; the longer key wins '
                       f'(mmengine), so {what[2]!r} does not apply to them; add a longer '
                       'key if it should')
            print_log(f'EPCLOptimWrapperConstructor: {msg}', logger='current',
                      level=logging.WARNING)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        optimizer_cls = self.optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cls)
        self._check_custom_entries(optimizer_cls)
        frozen_numel = self.check_frozen(model)
        self._warnings: Dict[Tuple, List[str]] = {}
        self._skipped_numel = 0
        entries: List = []
        self._collect(model, '', False, entries, {}, _dcn_types())
        if not entries:
            raise ValueError('the model has no trainable parameter: nothing to optimise. '
                             'Check that the tokenizer / heads were built and not frozen')
        groups: Dict[Tuple, dict] = {}
        for _, param, tag, options in entries:
            key = (tag, repr(sorted(options.items())))
            group = groups.setdefault(key, dict(options, params=[], tag=tag))
            group['params'].append(param)
        self._warn()
        self._log_groups(list(groups.values()), frozen_numel)

        optimizer_cfg = self.optimizer_cfg.copy()
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = list(groups.values())
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(optim_wrapper_cfg,
                                    default_args=dict(optimizer=optimizer))

    def _log_groups(self, groups: List[dict], frozen_numel: int) -> None:
        lines = [f'{"group":<40} {"lr":>10} {"decay":>10} {"tensors":>8} {"elements":>12}']
        trainable = 0
        for group in groups:
            numel = sum(p.numel() for p in group['params'])
            trainable += numel
            lr = group.get('lr', self.base_lr)
            wd = group.get('weight_decay', self.base_wd)
            lines.append(f'{group["tag"]:<40} {lr!s:>10} {wd!s:>10} '
                         f'{len(group["params"]):>8} {numel:>12,}')
        print_log('EPCLOptimWrapperConstructor param groups:\n' + '\n'.join(lines),
                  logger='current')
        print_log(
            f'EPCLOptimWrapperConstructor: {trainable:,} trainable parameters '
            f'optimised; {frozen_numel:,} frozen (of which none reach the optimizer); '
            f'{self._skipped_numel:,} with requires_grad=False skipped in total',
            logger='current')
