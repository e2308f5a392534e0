"""Score the majority-class baseline of a segmentation config with mmdet3d's SegMetric.

    python tools/analysis_tools/seg_majority_baseline.py configs/epcl_s3dis_seg_demo.py

The majority class is counted over the training split's semantic masks; every
test point is then predicted as that class and scored like a model's output
(mIoU, acc, acc_cls), giving the floor a trained model must clearly beat.
"""
import argparse

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    from mmdet3d.registry import DATASETS, METRICS

    train_cfg = cfg.train_dataloader.dataset.copy()
    train_cfg.pipeline = [
        t for t in train_cfg.pipeline
        if t['type'] in ('LoadPointsFromFile', 'EPCLLoadPointsFromFile', 'LoadAnnotations3D',
                         'PointSegClassMapping')
    ]
    train_cfg.test_mode = True  # every room once, whole
    train_cfg.scene_idxs = None
    train = DATASETS.build(train_cfg)
    num_classes = len(train.metainfo['classes'])
    counts = np.zeros(num_classes + 1, dtype=np.int64)
    for i in range(len(train)):
        mask = train[i]['pts_semantic_mask']  # after PointSegClassMapping
        counts += np.bincount(mask, minlength=num_classes + 1)[:num_classes + 1]
    majority = int(counts[:num_classes].argmax())
    print(f'majority class of the training split: {train.metainfo["classes"][majority]} '
          f'({counts[majority] / counts[:num_classes].sum():.3f} of the points)')

    test = DATASETS.build(cfg.test_dataloader.dataset)
    metric = METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = test.metainfo
    samples = []
    for i in range(len(test)):
        gt = test[i]['data_samples'].eval_ann_info['pts_semantic_mask']
        samples.append(
            dict(pred_pts_seg=dict(pts_semantic_mask=torch.full((len(gt), ), majority)),
                 eval_ann_info=dict(pts_semantic_mask=gt)))
    metric.process({}, samples)
    print(metric.compute_metrics(metric.results))


if __name__ == '__main__':
    main()
