"""Optimizer wrapper constructor that only ever hands trainable parameters over."""
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet3d.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class EPCLOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Build an optimizer over the trainable parameters of a partly frozen model.

    - Parameters with ``requires_grad=False`` never reach the optimizer (no state
      is allocated for a frozen CLIP tower).
    - No weight decay on biases, norm layers, other 1-D tensors, and parameters
      whose name contains one of ``no_decay_keys`` (task tokens, positional
      embeddings, class tokens).
    - ``custom_keys`` (``lr_mult`` / ``decay_mult``) work as in mmengine.
    - Raises if a parameter of a frozen module (one exposing
      ``frozen_parameters()``, e.g. FrozenCLIPBackbone) would be optimised.
    - Logs the trainable / frozen parameter counts.

    Works with any optimizer wrapper type (``OptimWrapper``, ``AmpOptimWrapper``).

    Args:
        optim_wrapper_cfg: mmengine optim wrapper config.
        paramwise_cfg: optional dict with ``no_decay_keys`` (names that get no weight
            decay; replaces the default) and ``custom_keys``.
    """

    default_no_decay_keys = ('embedding', 'pos_embed', 'cls_token', 'query_pos')

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        self.no_decay_keys: Sequence[str] = tuple(
            paramwise_cfg.pop('no_decay_keys', self.default_no_decay_keys))
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

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

    def _group_key(self, name: str, param: nn.Parameter,
                   module: nn.Module) -> Tuple[float, float, str]:
        lr, wd = self.base_lr, self.base_wd
        for key in sorted(self.paramwise_cfg.get('custom_keys', {}), key=len,
                          reverse=True):
            if key in name:
                opts = self.paramwise_cfg['custom_keys'][key]
                lr = lr * opts.get('lr_mult', 1.0)
                if wd is not None:
                    wd = wd * opts.get('decay_mult', 1.0)
                return lr, wd, f'custom:{key}'
        no_decay = (param.ndim <= 1 or isinstance(module, _NORMS)
                    or any(k in name for k in self.no_decay_keys))
        if no_decay and wd is not None:
            return lr, 0.0, 'no_decay'
        return lr, wd, 'decay'

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        frozen_numel = self.check_frozen(model)
        groups: Dict[Tuple, dict] = {}
        seen = set()
        trainable_numel = skipped_numel = 0
        for mod_name, module in model.named_modules():
            for p_name, param in module.named_parameters(recurse=False):
                if id(param) in seen:
                    continue
                seen.add(id(param))
                if not param.requires_grad:
                    skipped_numel += param.numel()
                    continue
                full = f'{mod_name}.{p_name}' if mod_name else p_name
                lr, wd, tag = self._group_key(full, param, module)
                group = groups.setdefault((lr, wd, tag), dict(params=[], names=[], tag=tag))
                if lr is not None:
                    group['lr'] = lr
                if wd is not None:
                    group['weight_decay'] = wd
                group['params'].append(param)
                group['names'].append(full)
                trainable_numel += param.numel()
        if not groups:
            raise ValueError('the model has no trainable parameter: nothing to optimise. '
                             'Check that the tokenizer / heads were built and not frozen')
        param_groups: List[dict] = []
        for group in groups.values():
            names = group.pop('names')
            if group['tag'].startswith('custom:'):  # as mmengine: a custom key's entries
                group.update(self.paramwise_cfg['custom_keys'][group['tag'][7:]])
            print_log(f'EPCLOptimWrapperConstructor: group {group["tag"]!r} with '
                      f'{len(names)} tensors, lr={group.get("lr")}, '
                      f'weight_decay={group.get("weight_decay")}', logger='current')
            param_groups.append(group)
        print_log(
            f'EPCLOptimWrapperConstructor: {trainable_numel:,} trainable parameters '
            f'optimised; {frozen_numel:,} frozen (of which none reach the optimizer); '
            f'{skipped_numel:,} with requires_grad=False skipped in total',
            logger='current')

        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg['params'] = param_groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(optim_wrapper_cfg,
                                    default_args=dict(optimizer=optimizer))
