"""Feature-propagation segmentation head over EPCL's hierarchical tokens."""
from typing import Dict, List, Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from mmdet3d.models.decode_heads.decode_head import Base3DDecodeHead
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ...ops.three_interpolate import three_nn_interpolate
from ..layers.epcl_text_embedding_classifier import name_head_classes


@MODELS.register_module()
class EPCLSegHead(Base3DDecodeHead):
    """Decode CLIP token features back to every input point, level by level.

    The input is the dict of an ``EPCLEncoder`` built with an
    ``EPCLHierarchicalTokenizer``. At the token level the CLIP patch outputs are
    concatenated with the tokenizer's tokens (B, M, 2D). Then, for each level
    from the deepest to the input, the current features are carried to the finer
    level's points by 3-nearest-neighbour inverse-distance interpolation,
    concatenated with that level's tokenizer features (skip connection) and
    mixed by a shared MLP (PointNet++ feature propagation). The last MLP's
    output (``channels`` wide) is classified per point.

    With ``in_norm`` a LayerNorm over the channels is applied to the CLIP patch
    outputs before they enter the first propagation MLP, as the detection head
    (``EPCL3DETRHead.in_norm``) and the classification head do: CLIP's token outputs
    are its raw residual stream, which CLIP itself only reads through ``ln_post``,
    and a few of its channels are far larger than the rest. The tokenizer's tokens
    that are concatenated beside them are not normalised. Off by default, as in the
    authors' released segmentation code (the paper is silent; docs/segmentation.md
    has the measurement).

    All layers are built here, once; ``forward`` only runs them.

    Args:
        embed_dims: D, the CLIP width (768 for ViT-B/16); must match the backbone.
        skip_channels: skip feature widths of the levels finer than the tokens,
            finest first: the input points (3 + C0), then each grouping level
            (the tokenizer's ``in_channels`` and ``level_channels``).
        fp_channels: widths of the shared MLP of each propagation step, deepest
            step first; the last width must equal ``channels``.
        channels: width before the classifier.
        num_classes: number of classes.
        in_norm: LayerNorm over D on the CLIP patch outputs before the head reads
            them (see above).
        cls_classifier: None (default): a fixed 1x1 convolution over ``num_classes``
            (mmdet3d's ``conv_seg``). Or the config of an open-vocabulary classifier,
            ``dict(type='EPCLTextEmbeddingClassifier', ...)``: cosine similarity of each
            point's feature to the CLIP text embeddings of the class names, so that
            :meth:`set_class_names` can name any classes without retraining
            (``in_channels`` and ``text_tower`` are filled in; ``conv_seg`` is None).
        text_tower: the backbone's ``FrozenCLIPBackbone`` (``with_text=True``);
            ``EPCLEncoderDecoder3D`` passes it when ``cls_classifier`` is set.
        **kwargs: the rest of :class:`Base3DDecodeHead` (dropout_ratio,
            conv_cfg, norm_cfg, act_cfg, loss_decode, ignore_index, init_cfg).
    """

    def __init__(self,
                 embed_dims: int,
                 skip_channels: Sequence[int] = (9, 128, 256),
                 fp_channels: Sequence[Sequence[int]] = ((256, 256), (256, 256),
                                                         (256, 128)),
                 channels: int = 128,
                 num_classes: int = 13,
                 in_norm: bool = False,
                 cls_classifier: Optional[dict] = None,
                 text_tower: Optional[nn.Module] = None,
                 **kwargs) -> None:
        super().__init__(channels=channels, num_classes=num_classes, **kwargs)
        self.cls_classifier = None
        self.class_names: Optional[List[str]] = None
        if cls_classifier is not None:
            if text_tower is None:
                raise ValueError('EPCLSegHead: cls_classifier needs the text tower; build '
                                 'the head through EPCLEncoderDecoder3D, which passes it')
            self.conv_seg = None  # the text classifier replaces the fixed one
            self.cls_classifier = MODELS.build(dict(
                cls_classifier, in_channels=channels, text_tower=text_tower))
        if len(fp_channels) != len(skip_channels):
            raise ValueError(
                f'fp_channels has {len(fp_channels)} steps but skip_channels has '
                f'{len(skip_channels)} levels; give one propagation MLP per level')
        if fp_channels[-1][-1] != channels:
            raise ValueError(f'the last fp_channels width ({fp_channels[-1][-1]}) must '
                             f'equal channels ({channels}), the classifier input')
        self.embed_dims = embed_dims
        self.skip_channels = list(skip_channels)
        # over the channel dim of (B, M, D)
        self.in_norm = nn.LayerNorm(embed_dims) if in_norm else nn.Identity()
        self.fp_mlps = nn.ModuleList()
        prev = 2 * embed_dims  # CLIP patch outputs ; tokenizer tokens
        # deepest step first: it lands on the coarsest skip level
        for skip, widths in zip(reversed(self.skip_channels), fp_channels):
            layers = []
            in_c = prev + skip
            for out_c in widths:
                layers.append(
                    ConvModule(in_c, out_c, 1, conv_cfg=self.conv_cfg,
                               norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
                in_c = out_c
            self.fp_mlps.append(nn.Sequential(*layers))
            prev = in_c

    @property
    def open_vocabulary(self) -> bool:
        """Whether the classes are named by text (``cls_classifier``), not fixed."""
        return self.cls_classifier is not None

    def set_class_names(self, names: Sequence[str]) -> None:
        """Segment into ``names`` from now on: any names with ``cls_classifier``, else
        exactly ``num_classes`` of them (then only recorded)."""
        name_head_classes(self, names, 'decode_head')

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Classify every point: (B, channels, N) -> (B, num_classes, N)."""
        if self.cls_classifier is None:
            return super().cls_seg(feat)
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.cls_classifier(feat.transpose(1, 2)).transpose(1, 2).contiguous()

    def forward(self, feat_dict: Dict[str, object]) -> Tensor:
        """Per-point logits.

        Args:
            feat_dict: backbone output with ``patch_feats`` (B, M, D) and
                ``level_xyz`` / ``level_feats``: lists over levels 0..L of
                (B, N_l, 3) and (B, N_l, S_l), level L being the tokens.

        Returns:
            (B, num_classes, N) logits for the N input points.
        """
        for key in ('patch_feats', 'level_xyz', 'level_feats'):
            if key not in feat_dict:
                raise KeyError(
                    f'EPCLSegHead needs "{key}" from the backbone, got keys '
                    f'{sorted(feat_dict)}; use EPCLEncoder with an '
                    'EPCLHierarchicalTokenizer as the backbone')
        level_xyz = feat_dict['level_xyz']
        level_feats = feat_dict['level_feats']
        num_levels = len(self.skip_channels) + 1
        if len(level_xyz) != num_levels or len(level_feats) != num_levels:
            raise ValueError(
                f'EPCLSegHead was built for {num_levels} levels (input + '
                f'{num_levels - 1} down-sampling levels) but the backbone returned '
                f'{len(level_xyz)}; match skip_channels to the tokenizer levels')
        patch = feat_dict['patch_feats']  # (B, M, D)
        if patch.shape[-1] != self.embed_dims:
            raise ValueError(
                f'EPCLSegHead was built with embed_dims={self.embed_dims} but the '
                f'backbone gives {patch.shape[-1]}-wide features; set '
                'decode_head.embed_dims to the CLIP width')
        patch = self.in_norm(patch)  # (B, M, D)
        x = torch.cat([patch, level_feats[-1]], dim=-1)  # (B, M, 2D)
        for step, mlp in enumerate(self.fp_mlps):
            level = num_levels - 2 - step  # the finer level we propagate onto
            skip = level_feats[level]  # (B, N_l, S_l)
            if skip.shape[-1] != self.skip_channels[level]:
                raise ValueError(
                    f'level {level} skip features are {skip.shape[-1]} wide, '
                    f'EPCLSegHead expects {self.skip_channels[level]}; align '
                    'skip_channels with the tokenizer (in_channels, level_channels)')
            up = three_nn_interpolate(level_xyz[level], level_xyz[level + 1],
                                      x)  # (B, N_l, C)
            x = torch.cat([up, skip.to(up.dtype)], dim=-1)  # (B, N_l, C + S_l)
            x = mlp(x.transpose(1, 2)).transpose(1, 2)  # (B, N_l, C')
        return self.cls_seg(x.transpose(1, 2).contiguous())  # (B, num_classes, N)
