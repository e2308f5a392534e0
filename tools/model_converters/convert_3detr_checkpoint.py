"""Convert a checkpoint of facebookresearch/3detr into an ``EPCL3DETRDetector`` checkpoint.

3DETR's released files (``scannet_ep1080.pth``, ``scannet_masked_ep1080.pth``,
``sunrgbd_ep1080.pth``, ...) hold ``model`` (the ``Model3DETR`` state dict), ``args``
(its argparse namespace) and optimiser state. The weights are renamed with the key table
below into the detector that ``configs/3detr_*_det.py`` build (``EPCL3DETREncoder`` +
``EPCL3DETRHead``) and saved as an mmengine checkpoint (``state_dict`` + ``meta``):

    python tools/model_converters/convert_3detr_checkpoint.py \\
        scannet_masked_ep1080.pth checkpoints/3detr-m_scannet.pth
    python tools/test.py configs/3detr-m_scannet_det.py checkpoints/3detr-m_scannet.pth

Plain 3DETR files go with ``3detr_*_det.py``, masked ones (``--enc_type masked``: they
hold ``encoder.interim_downsampling``) with ``3detr-m_*_det.py``; the tool says which.
Only the layout is converted: class order (3DETR's and mmdet3d's ScanNet / SUN RGB-D class
lists are the same) and box conventions are those of the configs, and a converted file's
AP has not been measured here.
"""
import argparse
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

# (3DETR name, EPCL3DETRDetector name[, transform]). Placeholders: {i} / {n} an index,
# {p} the rest of a tensor name (e.g. "weight", "out_proj.bias"). Modules of 3DETR,
# models/model_3detr.py and models/transformer.py, left to right: pre_encoder
# (PointnetSAModuleVotes: SharedMLP of conv + BatchNorm2d wrapped as bn.bn), encoder
# (TransformerEncoderLayer: self_attn, linear1, linear2, norm1, norm2; masked:
# interim_downsampling), encoder_to_decoder_projection and the mlp_heads (GenericMLP,
# same Sequential indices as EPCLPointwiseMLP), pos_embedding (the Fourier matrix),
# query_projection (GenericMLP of 1x1 convolutions; Linear layers here), decoder.
KEY_TABLE = (
    ('pre_encoder.mlp_module.layer{i}.conv.weight',
     'backbone.pre_encoder.mlps.0.layer{i}.conv.weight'),
    ('pre_encoder.mlp_module.layer{i}.bn.bn.{p}', 'backbone.pre_encoder.mlps.0.layer{i}.bn.{p}'),
    ('encoder.layers.{i}.self_attn.{p}', 'backbone.layers.{i}.attentions.0.attn.{p}'),
    ('encoder.layers.{i}.linear1.{p}', 'backbone.layers.{i}.ffns.0.layers.0.0.{p}'),
    ('encoder.layers.{i}.linear2.{p}', 'backbone.layers.{i}.ffns.0.layers.1.{p}'),
    ('encoder.layers.{i}.norm1.{p}', 'backbone.layers.{i}.norms.0.{p}'),
    ('encoder.layers.{i}.norm2.{p}', 'backbone.layers.{i}.norms.1.{p}'),
    ('encoder.interim_downsampling.mlp_module.layer{i}.conv.weight',
     'backbone.interim_sa.mlps.0.layer{i}.conv.weight'),
    ('encoder.interim_downsampling.mlp_module.layer{i}.bn.bn.{p}',
     'backbone.interim_sa.mlps.0.layer{i}.bn.{p}'),
    ('encoder_to_decoder_projection.layers.{i}.{p}', 'bbox_head.memory_proj.layers.{i}.{p}'),
    ('pos_embedding.gauss_B', 'bbox_head.pos_encoding.gauss_b'),
    ('query_projection.layers.{i}.{p}', 'bbox_head.query_proj.{i}.{p}', 'conv1x1_to_linear'),
    ('decoder.layers.{i}.self_attn.{p}', 'bbox_head.decoder.layers.{i}.self_attn.{p}'),
    ('decoder.layers.{i}.multihead_attn.{p}', 'bbox_head.decoder.layers.{i}.cross_attn.{p}'),
    ('decoder.layers.{i}.linear1.{p}', 'bbox_head.decoder.layers.{i}.ffn.0.{p}'),
    ('decoder.layers.{i}.linear2.{p}', 'bbox_head.decoder.layers.{i}.ffn.3.{p}'),
    ('decoder.layers.{i}.norm{n}.{p}', 'bbox_head.decoder.layers.{i}.norm{n}.{p}'),
    ('decoder.norm.{p}', 'bbox_head.decoder.final_norm.{p}'),
    ('mlp_heads.sem_cls_head.layers.{i}.{p}', 'bbox_head.pred_heads.cls_logits.layers.{i}.{p}'),
    ('mlp_heads.center_head.layers.{i}.{p}', 'bbox_head.pred_heads.center_raw.layers.{i}.{p}'),
    ('mlp_heads.size_head.layers.{i}.{p}', 'bbox_head.pred_heads.size_raw.layers.{i}.{p}'),
    ('mlp_heads.angle_cls_head.layers.{i}.{p}',
     'bbox_head.pred_heads.angle_cls.layers.{i}.{p}'),
    ('mlp_heads.angle_residual_head.layers.{i}.{p}',
     'bbox_head.pred_heads.angle_res_raw.layers.{i}.{p}'),
)
_FIELDS = {'i': r'(?P<i>\d+)', 'n': r'(?P<n>\d+)', 'p': r'(?P<p>[A-Za-z_][\w.]*)'}


def _regex(template: str) -> 're.Pattern':
    parts = re.split(r'\{(\w)\}', template)  # literal, field, literal, ...
    return re.compile(''.join(re.escape(part) if k % 2 == 0 else _FIELDS[part]
                              for k, part in enumerate(parts)))


_RULES: List[Tuple['re.Pattern', str, 're.Pattern', str, str]] = [
    (_regex(src), src, _regex(dst), dst, rest[0] if rest else '')
    for src, dst, *rest in KEY_TABLE]


def _transform(value: Tensor, kind: str, to_ours: bool) -> Tensor:
    if kind == 'conv1x1_to_linear' and value.dim() in (2, 3):
        # a Conv1d(kernel 1) weight (out, in, 1) is a Linear weight (out, in)
        return value.squeeze(-1) if to_ours else value.unsqueeze(-1)
    return value


def _rename(state: Dict[str, Tensor], to_ours: bool) -> Dict[str, Tensor]:
    out = {}
    for key, value in state.items():
        for src_re, src, dst_re, dst, kind in _RULES:
            match = (src_re if to_ours else dst_re).fullmatch(key)
            if match is not None:
                new = (dst if to_ours else src).format(**match.groupdict())
                out[new] = _transform(value, kind, to_ours).clone()
                break
        else:
            side = '3DETR' if to_ours else 'EPCL3DETRDetector'
            raise ValueError(f'{side} key {key!r} has no counterpart in the key table of '
                             'convert_3detr_checkpoint.py; is this a checkpoint of '
                             'facebookresearch/3detr (model_name 3detr)?')
    return out


ANGLE_CLS = 'mlp_heads.angle_cls_head.'


def _out_width(state: Dict[str, Tensor], head: str) -> Optional[int]:
    """Output width of one of 3DETR's ``mlp_heads`` (its last conv), None if absent."""
    convs = [k for k in state if re.fullmatch(rf'mlp_heads\.{head}\.layers\.\d+\.weight', k)]
    if not convs:
        return None
    return state[max(convs, key=lambda k: int(k.split('.')[3]))].shape[0]


def single_bin_angle_cls(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """The tensors of 3DETR's yaw-bin classifier when it has one bin (ScanNet).

    3DETR builds the classifier for one bin too, but a softmax over one logit is always
    1, so nothing it computes reaches a box or a loss; ``EPCL3DETRHead`` does not build
    it (one bin: residual MLP only). The converter leaves these tensors out.
    """
    if _out_width(state, 'angle_cls_head') != 1:
        return {}
    return {k: v for k, v in state.items() if k.startswith(ANGLE_CLS)}


def convert_3detr_state(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Rename a ``Model3DETR`` state dict into ``EPCL3DETRDetector``'s.

    Args:
        state: 3DETR's ``model`` state dict (``module.`` prefixes of DDP are removed).

    Returns:
        the same tensors under the detector's names (the query projection's 1x1
        convolution weights (d, d, 1) become Linear weights (d, d)), less a one-bin yaw
        classifier (see :func:`single_bin_angle_cls`).
    """
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    unused = single_bin_angle_cls(state)
    return _rename({k: v for k, v in state.items() if k not in unused}, to_ours=True)


def to_3detr_state(state: Dict[str, Tensor],
                   angle_cls: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
    """The inverse of :func:`convert_3detr_state` (3DETR's names back).

    Args:
        state: an ``EPCL3DETRDetector`` state dict.
        angle_cls: 3DETR's one-bin yaw classifier tensors to put back (the converter
            left them out; they do not change any output).
    """
    out = _rename(state, to_ours=False)
    out.update(angle_cls or {})
    return out


def describe(state: Dict[str, Tensor]) -> dict:
    """What a 3DETR state dict is: masked encoder or not, classes, angle bins.

    Args:
        state: 3DETR's ``model`` state dict.

    Returns:
        dict of ``masked`` (bool), ``num_classes``, ``num_angle_bins``, ``config``.
    """
    masked = any(k.startswith('encoder.interim_downsampling.') for k in state)

    num_classes = _out_width(state, 'sem_cls_head') - 1  # the last logit is "no object"
    bins = _out_width(state, 'angle_cls_head')
    dataset = 'scannet' if bins == 1 else 'sunrgbd'
    return dict(masked=masked, num_classes=num_classes, num_angle_bins=bins,
                config=f"configs/3detr{'-m' if masked else ''}_{dataset}_det.py")


def load_3detr_checkpoint(path: str) -> dict:
    """Read a 3DETR checkpoint file with torch's weights-only unpickler (its ``args`` is an
    ``argparse.Namespace``, its metrics may hold numpy scalars; both are allow-listed)."""
    from epcl_mmdet3d.engine import allow_mmengine_checkpoints
    allow_mmengine_checkpoints()  # numpy scalars / arrays
    torch.serialization.add_safe_globals([argparse.Namespace])
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if 'model' not in ckpt:
        raise ValueError(f'{path} has no "model" entry (keys: {sorted(ckpt)[:8]}); 3DETR '
                         'checkpoints hold the weights under "model"')
    return ckpt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help="a 3DETR checkpoint (.pth with 'model' and 'args')")
    parser.add_argument('out', help='output mmengine checkpoint (.pth)')
    args = parser.parse_args(argv)
    ckpt = load_3detr_checkpoint(args.src)
    src_state = {k.removeprefix('module.'): v for k, v in ckpt['model'].items()}  # DDP's
    info = describe(src_state)
    state = convert_3detr_state(src_state)
    src_args = ckpt.get('args')
    meta = dict(source='facebookresearch/3detr', source_file=osp.basename(args.src),
                epoch=ckpt.get('epoch'), **info,
                left_out=sorted(single_bin_angle_cls(src_state)))
    if src_args is not None:
        meta['source_args'] = {k: v for k, v in vars(src_args).items()
                               if isinstance(v, (int, float, str, bool, type(None)))}
    torch.save(dict(state_dict=state, meta=meta), args.out)
    print(f"saved {len(state)} tensors to {args.out}: {'masked ' if info['masked'] else ''}"
          f"3DETR, {info['num_classes']} classes, {info['num_angle_bins']} angle bin(s); "
          f"use it with {info['config']} (num_classes / num_queries as in the file)")


if __name__ == '__main__':
    main()
