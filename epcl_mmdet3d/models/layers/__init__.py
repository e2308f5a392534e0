"""Building blocks shared by the tokenizers, the task tokens and the 3DETR-style head."""
from .epcl_decoder_layer import EPCLDecoderLayer
from .epcl_fourier_pos_encoding import EPCLFourierPosEncoding
from .epcl_pointwise_mlp import EPCLPointwiseMLP
from .epcl_task_token import EPCLTaskToken
from .epcl_transformer_decoder import EPCLTransformerDecoder
from .mini_pointnet import MiniPointNet
from .point_grouper import PointGrouper
from .set_abstraction_mlp import SetAbstractionMLP

__all__ = [
    'EPCLDecoderLayer', 'EPCLFourierPosEncoding', 'EPCLPointwiseMLP', 'EPCLTaskToken',
    'EPCLTransformerDecoder', 'MiniPointNet', 'PointGrouper', 'SetAbstractionMLP'
]
