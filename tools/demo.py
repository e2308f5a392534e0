"""End-to-end CPU demo of EPCL detection on synthetic ScanNet-format rooms.

Generates the data set once, trains the detector (tiny frozen CLIP) for a few minutes,
evaluates the held-out rooms with mmdet3d's IndoorMetric through the mmengine Runner,
prints the AP table and draws one held-out room with predicted and true boxes.

Example:
    python tools/demo.py                 # what `make demo` runs
"""
import argparse
import os
import os.path as osp
import time

from mmengine.config import Config

from epcl_mmdet3d.datasets.safe_info_files import load_info_file
from epcl_mmdet3d.datasets.synthetic import create_synthetic_scannet
from epcl_mmdet3d.engine import build_runner


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/epcl_scannet_det_demo.py')
    parser.add_argument('--data-root', default='data/demo_scannet_det')
    parser.add_argument('--work-dir', default='work_dirs/epcl_demo_det')
    parser.add_argument('--num-train', type=int, default=256,
                        help='synthetic training rooms (generated once)')
    parser.add_argument('--num-val', type=int, default=16,
                        help='synthetic held-out rooms (generated once)')
    parser.add_argument('--max-epochs', type=int, default=None,
                        help='override the config\'s training length')
    parser.add_argument('--out', default=None,
                        help='PNG to write (default: <work-dir>/demo_scene.png)')
    return parser.parse_args()


def _has_dataset(root, num_train, num_val):
    """Whether ``root`` already holds a generated set of the requested size."""
    for split, count in (('train', num_train), ('val', num_val)):
        path = osp.join(root, f'scannet_infos_{split}.pkl')
        if not osp.exists(path):
            return False
        if len(load_info_file(path)['data_list']) != count:  # a data-only unpickler
            return False
    return True


def main():
    args = parse_args()
    if not _has_dataset(args.data_root, args.num_train, args.num_val):
        print(f'generating the synthetic data set in {args.data_root} ...')
        create_synthetic_scannet(args.data_root, num_train=args.num_train,
                                    num_val=args.num_val, num_points=10000, seed=0)
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    data_root = args.data_root.rstrip('/') + '/'
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    if args.max_epochs is not None:
        cfg.train_cfg.max_epochs = args.max_epochs
        cfg.train_cfg.val_interval = args.max_epochs
        scheds = [s for s in cfg.param_scheduler if s.begin < args.max_epochs]
        for sched in scheds:
            sched.end = min(sched.end, args.max_epochs)
            if 'T_max' in sched:
                sched.T_max = sched.end - sched.begin
        cfg.param_scheduler = scheds
    runner = build_runner(cfg)
    start = time.time()
    runner.train()
    print(f'training took {time.time() - start:.0f} s')
    metrics = runner.test()  # IndoorMetric logs the per-class AP table
    print('held-out synthetic rooms (IndoorMetric):')
    for key in sorted(metrics):
        if key.startswith('mAP') or key.startswith('mAR'):
            print(f'  {key}: {metrics[key]:.4f}')

    from epcl_mmdet3d.visualization import predict_det_scene, render_det_scene
    out = args.out or osp.join(args.work_dir, 'demo_scene.png')
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    res = predict_det_scene(runner.model, runner.test_dataloader.dataset, 0)
    render_det_scene(res['points'], out, res['pred_boxes'], res['pred_labels'],
                     res['pred_scores'], res['gt_boxes'], res['gt_labels'],
                     res['class_names'], score_thr=0.1, max_boxes=10,
                     title=f"{res['scene']} (held out): predicted boxes solid, "
                     'true boxes dashed')
    print(f'picture: {out}')


if __name__ == '__main__':
    main()
