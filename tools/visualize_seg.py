"""Render predicted vs true per-point labels of segmentation test rooms to PNGs.

    python tools/visualize_seg.py configs/epcl_s3dis_seg_demo.py \
        work_dirs/epcl_s3dis_seg_demo/epoch_8.pth --out-dir work_dirs/seg_vis

Runs the config's test pipeline and model (whole rooms, sliding-window
inference for EncoderDecoder3D with test_cfg.mode='slide') on the first rooms
of the test set and writes one PNG per room: prediction left, ground truth
right, ceiling hidden so that the room's contents show.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', default='work_dirs/seg_vis')
    parser.add_argument('--num-rooms', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)

    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    from mmdet3d.registry import DATASETS, MODELS

    from epcl_mmdet3d.visualization import render_dataset_predictions

    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model = model.to(args.device).eval()
    indices = range(min(args.num_rooms, len(dataset)))
    for path, acc, n in render_dataset_predictions(model, dataset, indices,
                                                   args.out_dir):
        print(f'{path}: {n} points, point accuracy {acc:.3f}')


if __name__ == '__main__':
    main()
