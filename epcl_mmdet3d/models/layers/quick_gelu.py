"""QuickGELU, ``x * sigmoid(1.702 x)``, that keeps only its input for backward.

OpenAI's CLIP towers use QuickGELU in every MLP. Written as open_clip writes it (three
tensor ops), autograd keeps three (..., 4 D) tensors per block for backward: the input,
``1.702 x`` and the sigmoid. :func:`quick_gelu` computes the same forward (the same ops,
so the same numbers) and keeps only ``x``; backward recomputes the sigmoid (one
elementwise pass) and applies the closed-form derivative
``s + 1.702 * x * s * (1 - s)``. In a ViT-B block that is 4 D of the 14 D floats per
token a frozen tower keeps for its input gradient, also when the tower trains.
"""
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

ALPHA = 1.702


class QuickGELUFunction(torch.autograd.Function):
    """See :func:`quick_gelu`."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return x * torch.sigmoid(ALPHA * x)  # as open_clip's QuickGELU.forward

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> Tensor:
        x, = ctx.saved_tensors
        s = torch.sigmoid(ALPHA * x)  # the forward's sigmoid again, bit for bit
        # d/dx [x s(a x)] = s + a x s (1 - s), grouped and rounded as autograd does it:
        # grad * s from the product; the sigmoid's backward in at least float32 (as
        # ATen's kernel computes it for half types), then the scale's
        opmath = torch.promote_types(x.dtype, torch.float32)
        grad_x = grad * x
        s_op = s.to(opmath)
        grad_u = (grad_x.to(opmath) * (1 - s_op) * s_op).to(x.dtype)
        return grad * s + grad_u * ALPHA


def quick_gelu(x: Tensor) -> Tensor:
    """``x * sigmoid(1.702 x)`` of any shape, keeping only ``x`` for backward."""
    if not x.requires_grad or not torch.is_grad_enabled():
        return x * torch.sigmoid(ALPHA * x)
    return QuickGELUFunction.apply(x)
