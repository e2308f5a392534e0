import numpy as np
import pytest
import torch
from mmdet3d.evaluation.functional import indoor_eval
from mmdet3d.structures import Box3DMode, DepthInstance3DBoxes

from epcl_mmdet3d.datasets.synthetic import DEMO_CLASSES, SCANNET_DET_CLASSES, make_scene

from ._tiny_detector import build_tiny_detector, make_sample


def _scene():
    scene = make_scene(np.random.default_rng(2), num_points=1024, num_objects=(3, 3))
    align = scene['axis_align_matrix']
    xyz = scene['points'][:, :3] @ align[:3, :3].T + align[:3, 3]  # aligned frame
    labels = np.array([DEMO_CLASSES.index(SCANNET_DET_CLASSES[i]) for i in scene['labels']])
    return torch.from_numpy(xyz.astype(np.float32)), scene['boxes'], labels


def _ap25(model, points, boxes, labels):
    model.eval()
    with torch.no_grad():
        pred = model.predict(dict(points=[points]), [make_sample(boxes, labels)])[0]
    model.train()
    p = pred.pred_instances_3d
    # mmdet3d's indoor_eval gives NaN AP to a class predicted but absent from the ground
    # truth; score only the classes this scene holds.
    keep = torch.isin(p.labels_3d, torch.as_tensor(labels))
    gt = dict(gt_num=len(boxes), gt_bboxes_3d=DepthInstance3DBoxes(
        torch.as_tensor(boxes), box_dim=6, with_yaw=False, origin=(0.5, 0.5, 0.5)),
        gt_labels_3d=labels)
    det = dict(bboxes_3d=p.bboxes_3d[keep], scores_3d=p.scores_3d[keep],
               labels_3d=p.labels_3d[keep])
    return indoor_eval([gt], [det], (0.25, ), DEMO_CLASSES,
                       box_mode_3d=Box3DMode.DEPTH)['mAP_0.25']


@pytest.mark.slow
def test_overfit_one_scene():
    points, boxes, labels = _scene()
    model = build_tiny_detector(num_classes=len(DEMO_CLASSES), num_tokens=128,
                                num_queries=32, num_layers=2)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    sample = make_sample(boxes, labels)
    ap_before = _ap25(model, points, boxes, labels)
    matched = []
    for step in range(300):
        losses = model.loss(dict(points=[points]), [sample])
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        matched.append(sum(v.item() for k, v in losses.items() if '.' not in k))
    first, last = np.mean(matched[:10]), np.mean(matched[-10:])
    ap_after = _ap25(model, points, boxes, labels)
    assert last < 0.5 * first, (first, last)
    assert ap_after > max(ap_before, 0.5), (ap_before, ap_after)
