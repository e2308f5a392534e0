"""Per-token MLP of 1x1 convolutions with BatchNorm (3DETR's prediction / projection MLP)."""
from typing import Optional, Sequence

from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class EPCLPointwiseMLP(BaseModule):
    """A stack of 1x1 convolutions applied to every token independently.

    Each hidden layer is Conv1d(kernel 1) - BatchNorm1d - ReLU [- Dropout]; the output
    layer is a Conv1d(kernel 1), optionally followed by BatchNorm1d and ReLU. This is
    3DETR's ``GenericMLP`` with ``use_conv=True, norm_fn_name='bn1d', activation='relu'``:
    its encoder-to-decoder projection (hidden widths ``[D, D]``, no biases, output
    norm + ReLU) and its prediction heads (hidden ``[d, d]``, ``--mlp_dropout 0.3``,
    a biased output). BatchNorm statistics are taken over the batch and the tokens.

    Args:
        in_channels: C_in.
        hidden_channels: widths of the hidden layers.
        out_channels: C_out; None: no output layer (the MLP ends after its last
            hidden layer, C_out = the last hidden width), for a classifier of its own
            after it (``EPCLTextEmbeddingClassifier``).
        dropout: dropout after every hidden layer (3DETR's heads: 0.3); None: no
            dropout layer (3DETR's projection).
        hidden_bias: bias in the hidden convolutions (3DETR: False, BatchNorm follows).
        out_bias: bias in the output convolution.
        out_norm: BatchNorm1d after the output convolution.
        out_act: ReLU at the very end.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, hidden_channels: Sequence[int],
                 out_channels: Optional[int],
                 dropout: Optional[float] = None, hidden_bias: bool = False, out_bias: bool = True,
                 out_norm: bool = False, out_act: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if dropout is not None and not 0.0 <= dropout < 1.0:
            raise ValueError(f'dropout must be in [0, 1), got {dropout}')
        layers = []
        prev = in_channels
        for width in hidden_channels:
            layers += [nn.Conv1d(prev, width, 1, bias=hidden_bias), nn.BatchNorm1d(width),
                       nn.ReLU(inplace=True)]
            if dropout is not None:
                layers.append(nn.Dropout(dropout))
            prev = width
        if out_channels is None:
            if out_norm or out_act or not hidden_channels:
                raise ValueError('out_channels=None (no output layer) needs hidden layers '
                                 'and no out_norm / out_act')
            self.layers = nn.Sequential(*layers)
            return
        layers.append(nn.Conv1d(prev, out_channels, 1, bias=out_bias))
        if out_norm:
            layers.append(nn.BatchNorm1d(out_channels))
        if out_act:
            layers.append(nn.ReLU(inplace=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the MLP to every token.

        Args:
            x: (B, L, C_in) batch-first tokens.

        Returns:
            (B, L, C_out).
        """
        if x.dim() != 3:
            raise ValueError(f'expected (B, L, C) tokens, got shape {tuple(x.shape)}')
        out = self.layers(x.transpose(1, 2))  # (B, C_out, L): Conv1d / BatchNorm1d layout
        return out.transpose(1, 2)  # (B, L, C_out)
