"""Single-scene overfit curve of the demo detector (a benchmark: prints figures, asserts
nothing).

One synthetic ScanNet-format room (``make_scene``, aligned frame, 2048 points) is fitted
with the model and optimiser of ``configs/epcl_scannet_det_demo.py`` (its AdamW rate and
gradient clipping; no schedule, no augmentation). Every step logs the last decoder
layer's matched loss (the sum of its loss terms); every ``--eval-every`` steps the room is
predicted in eval mode and scored with mmdet3d's ``indoor_eval`` (AP@0.25 over the
classes present). Printed: steps until the matched loss falls to half its start (mean of
the first 10 steps) and steps until AP@0.25 reaches 0.9.

``--encoder 3detr`` (or ``3detr-m``) runs the same with 3DETR's encoder
(``configs/3detr_scannet_det_demo.py``: the demo's head, optimiser and data, only the
encoder differs); the trainable and frozen parameter counts are printed for either.

Example:
    OMP_NUM_THREADS=2 python benchmarks/bench_det_overfit.py
    OMP_NUM_THREADS=2 python benchmarks/bench_det_overfit.py --encoder 3detr
"""
import argparse
import contextlib
import io
import time

import numpy as np
import torch
from mmdet3d.evaluation.functional import indoor_eval
from mmdet3d.registry import MODELS
from mmdet3d.structures import Box3DMode, DepthInstance3DBoxes, Det3DDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import epcl_mmdet3d  # noqa: F401  (registers the EPCL modules)
from epcl_mmdet3d.datasets.synthetic import DEMO_CLASSES, SCANNET_DET_CLASSES, make_scene

ENCODER_CONFIGS = {'epcl': 'configs/epcl_scannet_det_demo.py',
                   '3detr': 'configs/3detr_scannet_det_demo.py',
                   '3detr-m': 'configs/3detr-m_scannet_det_demo.py'}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--encoder', choices=sorted(ENCODER_CONFIGS), default='epcl',
                        help='which demo config to fit (overridden by --config)')
    parser.add_argument('--config', default=None,
                        help='a detection config (default: the --encoder demo config)')
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--eval-every', type=int, default=25)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def _scene(seed):
    """(points (N, 3), boxes (G, 6) gravity centre + size, labels (G,)) of one room."""
    scene = make_scene(np.random.default_rng(seed), num_points=2048, num_objects=(5, 5))
    align = scene['axis_align_matrix']
    xyz = scene['points'][:, :3] @ align[:3, :3].T + align[:3, 3]  # aligned frame
    labels = np.array([DEMO_CLASSES.index(SCANNET_DET_CLASSES[i]) for i in scene['labels']])
    return torch.from_numpy(xyz.astype(np.float32)), scene['boxes'], labels


def _sample(boxes, labels):
    sample = Det3DDataSample()
    gt = InstanceData()
    gt.bboxes_3d = DepthInstance3DBoxes(torch.as_tensor(boxes).reshape(-1, 6), box_dim=6,
                                        with_yaw=False, origin=(0.5, 0.5, 0.5))
    gt.labels_3d = torch.as_tensor(labels, dtype=torch.long)
    sample.gt_instances_3d = gt
    sample.set_metainfo(dict(box_type_3d=DepthInstance3DBoxes))
    return sample


def _ap25(model, points, boxes, labels):
    model.eval()
    with torch.no_grad():
        pred = model.predict(dict(points=[points]), [_sample(boxes, labels)])[0]
    model.train()
    p = pred.pred_instances_3d
    keep = torch.isin(p.labels_3d, torch.as_tensor(labels))  # classes of this room only
    gt = dict(gt_num=len(boxes), gt_bboxes_3d=DepthInstance3DBoxes(
        torch.as_tensor(boxes), box_dim=6, with_yaw=False, origin=(0.5, 0.5, 0.5)),
        gt_labels_3d=labels)
    det = dict(bboxes_3d=p.bboxes_3d[keep], scores_3d=p.scores_3d[keep],
               labels_3d=p.labels_3d[keep])
    with contextlib.redirect_stdout(io.StringIO()):  # indoor_eval prints its AP table
        ap = indoor_eval([gt], [det], (0.25, ), DEMO_CLASSES, box_mode_3d=Box3DMode.DEPTH)
    return float(ap['mAP_0.25'])


def main():
    args = parse_args()
    args.config = args.config or ENCODER_CONFIGS[args.encoder]
    cfg = Config.fromfile(args.config)  # also imports its custom_imports
    init_default_scope('mmdet3d')
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.train()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters()) - trainable
    print(f'{args.config}: {trainable / 1e6:.3f} M trainable, {frozen / 1e6:.3f} M frozen '
          'parameters', flush=True)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    points, boxes, labels = _scene(args.seed + 2)
    sample = _sample(boxes, labels)
    matched, curve = [], []
    half_step = ap_step = None
    start = time.time()
    for step in range(1, args.steps + 1):
        losses = model.loss(dict(points=[points]), [sample])
        optim.update_params(sum(losses.values()))
        matched.append(sum(v.item() for k, v in losses.items() if '.' not in k))
        if step == 10:
            print(f'start loss (mean of the first 10 steps) {np.mean(matched):.3f}',
                  flush=True)
        if half_step is None and step > 10 and \
                np.mean(matched[-5:]) <= 0.5 * np.mean(matched[:10]):
            half_step = step
            print(f'step {step:4d}  matched loss halved', flush=True)
        if step % args.eval_every == 0:
            ap = _ap25(model, points, boxes, labels)
            curve.append((step, float(np.mean(matched[-5:])), ap))
            print(f'step {step:4d}  matched loss {curve[-1][1]:.3f}  AP@0.25 {ap:.3f}',
                  flush=True)
            if ap_step is None and ap >= 0.9:
                ap_step = step
    print(f'config {args.config}, {args.steps} steps in {time.time() - start:.0f} s; '
          f'start loss {np.mean(matched[:10]):.3f}')
    print(f'steps until the matched loss halves (mean of 5 vs first 10): {half_step}')
    print(f'steps until AP@0.25 >= 0.9 (checked every {args.eval_every}): {ap_step}')


if __name__ == '__main__':
    main()
