from .epcl_encoder_decoder_3d import EPCLEncoderDecoder3D

__all__ = ['EPCLEncoderDecoder3D']
