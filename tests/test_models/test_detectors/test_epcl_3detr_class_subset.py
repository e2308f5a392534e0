"""A class subset (``metainfo=dict(classes=...)``) through mmdet3d's own ScanNetDataset and
SUNRGBDDataset: they label the boxes of the other classes -1 and keep them. Training
ignores those boxes (the losses are those of the scenes without them) and
EPCLIndoorMetric leaves them out of the evaluation."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet3d.registry import DATASETS, METRICS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet, create_synthetic_sunrgbd

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SUBSET = ('chair', 'table')  # classes of both data sets; the generators place more
CASES = dict(scannet=('epcl_scannet_det_demo.py', create_synthetic_scannet),
             sunrgbd=('epcl_sunrgbd_det_demo.py', create_synthetic_sunrgbd))
KEEP = ('EPCLLoadPointsFromFile', 'LoadPointsFromFile', 'LoadAnnotations3D',
        'GlobalAlignment', 'PointSample', 'Pack3DDetInputs')


def _build(name, tmp_path):
    """The demo config's model (2 classes) and its datasets on 4 + 2 synthetic scenes,
    restricted to SUBSET, with the deterministic steps of the pipelines."""
    config, create = CASES[name]
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    data_root = str(tmp_path / name) + '/'
    create(data_root, num_train=4, num_val=2, num_points=3000, seed=0)
    train = copy.deepcopy(cfg.train_dataloader.dataset.dataset)
    train.update(data_root=data_root, metainfo=dict(classes=SUBSET),
                 pipeline=[t for t in train.pipeline if t['type'] in KEEP])
    val = copy.deepcopy(cfg.val_dataloader.dataset)
    val.update(data_root=data_root, metainfo=dict(classes=SUBSET))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.bbox_head.update(num_classes=len(SUBSET), num_queries=16)
    model_cfg.backbone.tokenizer.update(num_tokens=32)
    torch.manual_seed(0)
    return MODELS.build(model_cfg), DATASETS.build(train), DATASETS.build(val)


@pytest.mark.parametrize('name', sorted(CASES))
def test_boxes_of_left_out_classes_are_ignored(name, tmp_path):
    model, train_set, val_set = _build(name, tmp_path)
    np.random.seed(0)  # PointSample
    batch = model.data_preprocessor(pseudo_collate([train_set[i] for i in range(4)]),
                                    training=True)
    labels = torch.cat([s.gt_instances_3d.labels_3d for s in batch['data_samples']])
    assert (labels == -1).any() and (labels >= 0).any(), labels  # the case under test
    model.train()
    with_ignored = model.loss(batch['inputs'], batch['data_samples'])

    for sample in batch['data_samples']:  # the same scenes without the -1 boxes
        gt = sample.gt_instances_3d
        sample.gt_instances_3d = gt[gt.labels_3d >= 0]
    without = model.loss(batch['inputs'], batch['data_samples'])
    assert set(with_ignored) == set(without)
    for key, value in without.items():
        assert torch.equal(with_ignored[key], value), key

    # evaluation: the -1 boxes reach eval_ann_info; the metric drops them
    model.eval()
    samples = [val_set[i] for i in range(len(val_set))]
    assert any((s['data_samples'].eval_ann_info['gt_labels_3d'] == -1).any()
               for s in samples)
    with torch.no_grad():
        outputs = model.test_step(pseudo_collate(samples))
    results = [o.to_dict() for o in outputs]
    ours = _evaluate('EPCLIndoorMetric', val_set, results)
    for result in results:  # IndoorMetric on the same scenes with the -1 boxes removed
        ann = result['eval_ann_info']
        keep = ann['gt_labels_3d'] >= 0
        ann['gt_labels_3d'] = ann['gt_labels_3d'][keep]
        ann['gt_bboxes_3d'] = ann['gt_bboxes_3d'][torch.from_numpy(keep)]
    reference = _evaluate('IndoorMetric', val_set, results)
    evaluated = [c for c in SUBSET if c not in ours['classes_left_out']]
    assert evaluated and np.isfinite(ours['mAP_0.25'])
    for name in evaluated:
        assert ours[f'{name}_AP_0.25'] == reference[f'{name}_AP_0.25'], name


def _evaluate(metric_type, dataset, results):
    metric = METRICS.build(dict(type=metric_type))
    metric.dataset_meta = dataset.metainfo
    metric.process({}, copy.deepcopy(results))
    return metric.evaluate(len(results))
