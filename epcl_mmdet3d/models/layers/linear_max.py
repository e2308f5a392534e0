"""A linear layer followed by a max over the points of each group, in one autograd Function.

``linear_max(x, weight, bias)`` is ``F.linear(x, weight, bias).max(dim=1).values`` for
``x`` of shape (G, K, C_in), with the same values and gradients (up to float rounding)
but without the (G, K, C_out) output or its gradient:

- forward: the matmul runs over chunks of groups, each chunk reduced over K at once;
  the bias is added after the max (exact: adding a per-channel constant commutes with
  the max, argmax included, rounding aside).
- backward: the gradient of group g's channel c reaches only the row ``idx[g, c]``
  that won its max, so the output gradient is a sparse (G * K, C_out) matrix with one
  nonzero per (g, c). The input gradient (a sum of rows of ``weight`` per input row)
  and the weight gradient (a sum of gathered input rows per output channel) are
  weighted gathers, done with ``F.embedding_bag``: G * C_out * C_in multiply-adds each
  instead of G * K * C_out * C_in.

An optional prologue (:class:`NormReLU`) lets the Function take the input of a
norm -> ReLU block instead of its output: forward runs the norm module as usual
(running statistics updated once), only the norm's input is kept, and backward
recomputes norm -> ReLU from it (batch statistics recomputed from the same rows with the
same kernel) and runs the norm's own backward kernel, holding at most two (G * K, C_in)
tensors beside x at a time.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

# rows (groups x K) per chunk of the forward matmul: bounds the transient to
# about CHUNK_ROWS * C_out floats (48 MiB at C_out = 768)
CHUNK_ROWS = 16384


class NormReLU:
    """ReLU(norm(x)) as a prologue of :func:`linear_max`, recomputable in backward.

    Args:
        norm: an ``nn.BatchNorm1d`` (not a subclass such as SyncBatchNorm) or
            ``nn.LayerNorm`` over the last dimension; :meth:`supports` says which.
    """

    def __init__(self, norm: nn.Module) -> None:
        if not self.supports(norm):
            raise TypeError(f'NormReLU recomputes nn.BatchNorm1d or nn.LayerNorm, got '
                            f'{type(norm).__name__}; run that norm outside linear_max')
        self.norm = norm
        # as _BatchNorm.forward decides: batch statistics in train mode or without
        # running statistics, the running ones otherwise
        self.batch_stats = isinstance(norm, nn.BatchNorm1d) and (
            norm.training or norm.running_mean is None)

    @staticmethod
    def supports(norm: nn.Module) -> bool:
        return type(norm) in (nn.BatchNorm1d, nn.LayerNorm)

    def params(self) -> Sequence[Tensor]:
        """The norm's affine parameters (what the Function returns gradients for)."""
        return [p for p in (self.norm.weight, self.norm.bias) if p is not None]

    def forward(self, x: Tensor) -> Tensor:
        """(R, C) -> (R, C) through the module itself (updates running statistics)."""
        return F.relu(self.norm(x), inplace=True)

    def recompute(self, x: Tensor, *params: Tensor):
        """The forward map again, without touching running statistics.

        Args:
            x: (R, C) the norm's input.
            params: :meth:`params` as the Function saved them.

        Returns:
            ``a`` (R, C) = ReLU(norm(x)) and the statistics :meth:`backward` takes.
        """
        norm = self.norm
        weight, bias = _affine(norm, params)
        if isinstance(norm, nn.LayerNorm):
            out, mean, rstd = torch.native_layer_norm(x, norm.normalized_shape, weight, bias,
                                                      norm.eps)
            stats = (mean, rstd)
        elif self.batch_stats:
            out, mean, invstd = torch.native_batch_norm(x, weight, bias, None, None, True,
                                                        0.0, norm.eps)
            stats = (mean, invstd)
        else:
            out = F.batch_norm(x, norm.running_mean, norm.running_var, weight, bias, False,
                               0.0, norm.eps)
            stats = (norm.running_mean, norm.running_var)
        return out.relu_(), stats

    def backward(self, grad: Tensor, x: Tensor, stats, params: Sequence[Tensor],
                 needs: Sequence[bool]):
        """The norm's backward (the kernels its autograd runs); ReLU's mask already applied.

        Args:
            grad: (R, C) gradient of the norm's output.
            x: (R, C) the norm's input.
            stats: from :meth:`recompute`.
            params: :meth:`params`.
            needs: whether x, and each of ``params``, wants a gradient.

        Returns:
            the gradients of x and of each of ``params`` (None where not needed).
        """
        norm = self.norm
        weight, bias = _affine(norm, params)
        wanted = iter(needs[1:])
        mask = [needs[0]] + [p is not None and next(wanted) for p in (weight, bias)]
        if isinstance(norm, nn.LayerNorm):
            grads = torch.ops.aten.native_layer_norm_backward(
                grad, x, norm.normalized_shape, *stats, weight, bias, mask)
        elif self.batch_stats:
            grads = torch.ops.aten.native_batch_norm_backward(
                grad, x, weight, None, None, *stats, True, norm.eps, mask)
        else:
            grads = torch.ops.aten.native_batch_norm_backward(
                grad, x, weight, *stats, None, None, False, norm.eps, mask)
        grad_x, grad_weight, grad_bias = [g if m else None for g, m in zip(grads, mask)]
        return [grad_x] + [g for g, p in ((grad_weight, weight), (grad_bias, bias))
                           if p is not None]


def _affine(norm: nn.Module, params: Sequence[Tensor]):
    """``params`` (weight and bias where the norm has them) back as (weight, bias)."""
    params = list(params)
    weight = params.pop(0) if norm.weight is not None else None
    bias = params.pop(0) if norm.bias is not None else None
    return weight, bias


class LinearMax(torch.autograd.Function):
    """See :func:`linear_max`."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Optional[Tensor],
                prologue: Optional[NormReLU], chunk_rows: int, *params: Tensor) -> Tensor:
        num_groups, group_size, in_channels = x.shape
        a = x if prologue is None else prologue.forward(x.reshape(-1, in_channels))
        a = a.reshape(num_groups, group_size, in_channels)
        out = x.new_empty(num_groups, weight.shape[0])  # (G, C_out)
        idx = torch.empty(num_groups, weight.shape[0], dtype=torch.long, device=x.device)
        step = max(1, chunk_rows // group_size)
        for start in range(0, num_groups, step):
            y = torch.matmul(a[start:start + step], weight.t())  # (g, K, C_out)
            torch.max(y, dim=1, out=(out[start:start + step], idx[start:start + step]))
        if bias is not None:
            out += bias
        ctx.prologue = prologue
        ctx.save_for_backward(x, weight, idx, *params)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        x, weight, idx, *params = ctx.saved_tensors
        num_groups, group_size, in_channels = x.shape
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        need_p = ctx.needs_input_grad[5:]
        grad_out = grad_out.contiguous()
        prologue = ctx.prologue
        if prologue is not None:  # ReLU(norm(x)) again, from x and the norm's statistics
            a, stats = prologue.recompute(x.reshape(-1, in_channels), *params)
        else:
            a = x.reshape(-1, in_channels)  # (G * K, C_in)
        # row of the (G * K, C_in) input that won each (group, channel): (G, C_out)
        rows = idx + torch.arange(num_groups, device=x.device).unsqueeze(1) * group_size
        grad_x = grad_weight = grad_bias = None
        grad_params = [None] * len(params)
        if need_w:  # channel c: sum over g of grad_out[g, c] * a[rows[g, c]]
            grad_weight = F.embedding_bag(rows.t(), a, mode='sum',
                                          per_sample_weights=grad_out.t())
        if need_b:
            grad_bias = grad_out.sum(0)
        if not (need_x or any(need_p)):
            return grad_x, grad_weight, grad_bias, None, None, *grad_params
        if prologue is not None:  # ReLU's backward: zero where its output is <= 0
            dropped = a <= 0  # (G * K, C_in) bool; a itself is freed before grad_a exists
            del a
        grad_a = _input_grad(idx, grad_out, weight, group_size)  # (G * K, C_in)
        if prologue is None:
            grad_x = grad_a.reshape(num_groups, group_size, in_channels)
        else:
            grad_a.masked_fill_(dropped, 0)
            del dropped
            grad_x, *grad_params = prologue.backward(
                grad_a, x.reshape(-1, in_channels), stats, params, [need_x, *need_p])
            if grad_x is not None:
                grad_x = grad_x.reshape(num_groups, group_size, in_channels)
        return (grad_x, grad_weight, grad_bias, None, None, *grad_params)


def _input_grad(idx: Tensor, grad_out: Tensor, weight: Tensor, group_size: int) -> Tensor:
    """Row k of group g: sum of grad_out[g, c] * weight[c] over the channels c it won.

    Args:
        idx: (G, C_out) winning row per group and channel.
        grad_out: (G, C_out).
        weight: (C_out, C_in).

    Returns:
        (G * K, C_in), zero for rows that won no channel.
    """
    num_groups, out_channels = idx.shape
    # channels of each group in the order of the row that won them (a bag per row)
    order = torch.sort(idx, dim=1, stable=True).indices  # (G, C_out)
    counts = torch.zeros(num_groups, group_size, dtype=torch.long, device=idx.device)
    counts.scatter_add_(1, idx, torch.ones_like(idx))
    offsets = counts.reshape(-1).cumsum(0) - counts.reshape(-1)  # (G * K,) bag starts
    return F.embedding_bag(order.reshape(-1), weight, offsets, mode='sum',
                           per_sample_weights=grad_out.gather(1, order).reshape(-1))


def linear_max(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
               prologue: Optional[NormReLU] = None,
               chunk_rows: int = CHUNK_ROWS) -> Tensor:
    """``F.linear(prologue(x), weight, bias).max(dim=1).values`` without the dense tensor.

    Args:
        x: (G, K, C_in) G groups of K rows.
        weight: (C_out, C_in).
        bias: (C_out,) or None.
        prologue: None, or a :class:`NormReLU` applied to ``x`` first (over all G * K
            rows) and recomputed in backward instead of kept.
        chunk_rows: rows of ``x`` per chunk of the forward matmul.

    Returns:
        (G, C_out) the max over each group's K rows.
    """
    if x.dim() != 3 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f'linear_max expects x of shape (G, K, {weight.shape[1]}) for a '
                         f'weight of shape {tuple(weight.shape)}, got {tuple(x.shape)}')
    params = prologue.params() if prologue is not None else ()
    return LinearMax.apply(x, weight, bias, prologue, chunk_rows, *params)
