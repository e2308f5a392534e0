"""Building blocks shared by the tokenizers, the task tokens and the 3DETR-style head."""
from .epcl_3detr_transformer import EPCLTransformerDecoder
from .epcl_decoder_layer import EPCLDecoderLayer
from .epcl_fourier_pos_encoding import EPCLFourierPosEncoding
from .epcl_mini_pointnet import MiniPointNet
from .epcl_point_grouper import PointGrouper
from .epcl_pointwise_mlp import EPCLPointwiseMLP
from .epcl_set_abstraction_mlp import SetAbstractionMLP
from .epcl_task_token import EPCLTaskToken

__all__ = [
    'EPCLDecoderLayer', 'EPCLFourierPosEncoding', 'EPCLPointwiseMLP', 'EPCLTaskToken',
    'EPCLTransformerDecoder', 'MiniPointNet', 'PointGrouper', 'SetAbstractionMLP'
]
