"""Draw a data set's samples with their ground truth, as the training pipeline hands
them to the model (after its augmentations), headless and without a checkpoint.

    python tools/misc/browse_dataset.py CONFIG [--output-dir DIR] [--num N] [--start I]
        [--task lidar_det|lidar_seg] [--show [--show-interval S]] [--cfg-options k=v ...]

Detection: the sampled, cropped, flipped, rotated points with the true boxes; segmentation:
the sampled block with its per-point labels; classification: the sampled shape titled
with its class. One PNG per sample in DIR. mmdet3d's own ``tools/misc/browse_dataset.py``
does this through open3d and a window; this one draws on matplotlib's Agg canvas.
CONFIG is a file or a shipped config by name (``epcl_mmdet3d::epcl_scannet_det_demo.py``).

mmdet3d's flags are accepted: ``--task`` (checked against the config's model; taken
from it when left out), ``--not-show`` (the default here: PNGs only), ``--show`` with
``--show-interval`` seconds (a window per picture, where a display exists) and ``--aug``
(this tool always draws the training pipeline's augmented samples).
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import epcl_mmdet3d  # noqa: F401  (registers the modules)
from epcl_mmdet3d.tools.mmdet3d_flags import TASK_CHOICES, add_show_args, resolve_task
from epcl_mmdet3d.utils import resolve_config
from epcl_mmdet3d.visualization import render_data_sample, render_det_scene
from epcl_mmdet3d.visualization.png_window import require_display, show_png

# wrappers whose inner data set is the one to browse (as mmdet3d's tool unwraps them)
_WRAPPERS = ('RepeatDataset', 'CBGSDataset', 'ClassBalancedDataset')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse a data set after the training '
                                     'pipeline')
    parser.add_argument('config', help='config file (or epcl_mmdet3d::NAME.py)')
    parser.add_argument('--output-dir', default='browse', help='where the PNGs go')
    parser.add_argument('--num', type=int, default=8, help='samples to draw')
    parser.add_argument('--start', type=int, default=0, help='first sample index')
    parser.add_argument('--task', choices=TASK_CHOICES,
                        help="what the samples are for; taken from the config's model when "
                        "left out (mmdet3d's lidar_det / lidar_seg, or det / seg / cls)")
    add_show_args(parser, wait_flag='--show-interval')
    parser.add_argument('--not-show', action='store_true',
                        help="mmdet3d's flag; the default here (PNGs only)")
    parser.add_argument('--aug', action='store_true',
                        help="mmdet3d's flag; this tool always draws the training "
                        'pipeline (augmentations included)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (e.g. a data_root)')
    return parser.parse_args(argv)


def train_dataset_cfg(cfg: Config):
    """The training data set's config, wrappers removed (the first of a concatenation)."""
    dataset = cfg.train_dataloader.dataset
    while dataset['type'] in _WRAPPERS or dataset['type'] == 'ConcatDataset':
        dataset = dataset.datasets[0] if dataset['type'] == 'ConcatDataset' \
            else dataset.dataset
    return dataset


def main(argv=None):
    args = parse_args(argv)
    from mmdet3d.registry import DATASETS

    cfg = Config.fromfile(resolve_config(args.config))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    resolve_task(args.task, cfg)
    show = args.show and not args.not_show
    if show:
        require_display()
    dataset = DATASETS.build(train_dataset_cfg(cfg))
    meta = dataset.metainfo
    classes = list(meta.get('classes') or [])
    palette = meta.get('palette')
    os.makedirs(args.output_dir, exist_ok=True)
    stop = min(len(dataset), args.start + args.num)
    if args.start >= stop:
        raise IndexError(f'--start {args.start} is past the data set, which has '
                         f'{len(dataset)} samples')
    for index in range(args.start, stop):
        item = dataset[index]
        points, sample = item['inputs']['points'], item['data_samples']
        name = osp.splitext(osp.basename(sample.lidar_path))[0] \
            if 'lidar_path' in sample else f'sample_{index:06d}'
        out = osp.join(args.output_dir, f'{index:06d}_{name}.png')
        title = f'{name}: ground truth after the training pipeline'
        written = render_data_sample(points, sample, out, classes,
                                     palette=palette if isinstance(palette, list) else None,
                                     ignore_index=meta.get('ignore_index'), title=title)
        if written is None and 'gt_label' in sample:  # classification: a shape and a name
            label = int(sample.gt_label.label[0])
            written = render_det_scene(points.numpy(), out, title=f'{name}: {classes[label]}'
                                       if label < len(classes) else f'{name}: {label}')
        if written is None:
            raise ValueError(f'sample {index} holds no boxes, per-point labels or class '
                             'label to draw')
        print(f'wrote {written}')
        if show:
            show_png(written, args.show_interval)


if __name__ == '__main__':
    main()
