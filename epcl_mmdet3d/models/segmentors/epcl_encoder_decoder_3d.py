"""mmdet3d's EncoderDecoder3D whose decode head takes its input widths from the backbone."""
from typing import Sequence

from mmdet3d.models.segmentors import EncoderDecoder3D
from mmdet3d.registry import MODELS

from ..utils import ClassNamesMixin, points_as_list


@MODELS.register_module()
class EPCLEncoderDecoder3D(ClassNamesMixin, EncoderDecoder3D):
    """``EncoderDecoder3D`` (training, slide inference, ``SegMetric``) unchanged, except
    that the decode head's input widths are filled in from the built backbone.

    With an ``EPCLEncoder`` over an ``EPCLHierarchicalTokenizer`` the head reads the
    CLIP width D (``backbone.embed_dims``) and the skip widths of the levels finer than
    the tokens (``backbone.tokenizer.skip_channels[:-1]``: the input point channels,
    then each grouping level's). A config therefore never spells out 768 or the level
    widths; a value it does give must agree, or building fails with what to change.
    A head with an open-vocabulary ``cls_classifier`` is handed the backbone's CLIP
    text tower, and :meth:`set_class_names` names its classes.
    """

    class_head_key = 'decode_head'  # ClassNamesMixin

    def _init_decode_head(self, decode_head: dict) -> None:
        decode_head = dict(decode_head)
        derived = dict(embed_dims=self.backbone.embed_dims)
        tokenizer = getattr(self.backbone, 'tokenizer', None)
        if hasattr(tokenizer, 'skip_channels'):
            derived['skip_channels'] = list(tokenizer.skip_channels[:-1])
        for key, value in derived.items():
            given = decode_head.setdefault(key, value)
            if (list(given) if isinstance(given, (list, tuple)) else given) != value:
                raise ValueError(
                    f'decode_head.{key}={given} does not match the backbone, which gives '
                    f'{value}; drop {key} from the decode_head config (it is derived)')
        if decode_head.get('cls_classifier') is not None:
            decode_head['text_tower'] = self.backbone.clip
        super()._init_decode_head(decode_head)

    def set_class_names(self, names: Sequence[str]) -> None:
        """As :class:`ClassNamesMixin`'s; the segmentor's ``num_classes`` follows."""
        super().set_class_names(names)
        self.num_classes = self.decode_head.num_classes

    @staticmethod
    def _checked(batch_inputs_dict: dict) -> dict:
        """``points`` as B float32 (N, C) tensors (a (B, N, C) batch is split; a lone
        (N, C) tensor or integer points are refused), as mmdet3d's methods expect."""
        return dict(batch_inputs_dict, points=points_as_list(batch_inputs_dict['points']))

    def loss(self, batch_inputs_dict: dict, batch_data_samples):
        return super().loss(self._checked(batch_inputs_dict), batch_data_samples)

    def predict(self, batch_inputs_dict: dict, batch_data_samples, rescale: bool = True):
        """mmdet3d's prediction; an open-vocabulary head without class names first takes
        ``dataset_meta['classes']`` (what mmdet3d's ``init_model`` sets)."""
        self._take_dataset_classes()
        return super().predict(self._checked(batch_inputs_dict), batch_data_samples, rescale)

    def _forward(self, batch_inputs_dict: dict, batch_data_samples=None):
        return super()._forward(self._checked(batch_inputs_dict), batch_data_samples)
