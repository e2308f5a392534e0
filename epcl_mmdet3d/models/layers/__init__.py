from .epcl_decoder_layer import EPCLDecoderLayer
from .epcl_fourier_pos_encoding import EPCLFourierPosEncoding
from .epcl_transformer_decoder import EPCLTransformerDecoder

__all__ = ['EPCLDecoderLayer', 'EPCLFourierPosEncoding', 'EPCLTransformerDecoder']
