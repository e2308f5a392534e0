"""Building blocks shared by the tokenizers, the task tokens and the heads."""
from .epcl_3detr_transformer import (
                                     EPCLDecoderLayer,
                                     EPCLFourierPosEncoding,
                                     EPCLTransformerDecoder,
)
from .epcl_mini_pointnet import EPCLMiniPointNet
from .epcl_point_grouper import EPCLPointGrouper
from .epcl_pointwise_mlp import EPCLPointwiseMLP
from .epcl_set_abstraction_mlp import EPCLSetAbstractionMLP
from .epcl_task_token import EPCLTaskToken
from .epcl_text_embedding_classifier import EPCLTextEmbeddingClassifier

__all__ = [
    'EPCLDecoderLayer', 'EPCLFourierPosEncoding', 'EPCLMiniPointNet', 'EPCLPointGrouper',
    'EPCLPointwiseMLP', 'EPCLSetAbstractionMLP', 'EPCLTaskToken', 'EPCLTextEmbeddingClassifier',
    'EPCLTransformerDecoder'
]
