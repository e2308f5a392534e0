"""Open-vocabulary prediction: classify shapes by similarity to text of any class names.

Loads a classifier trained with the CLIP text alignment, embeds the given names
with the frozen CLIP text tower (prompt-ensembled like the training classes),
and assigns each shape of a data split to the most similar name. Prints, for
each ground-truth class, how its shapes were named, and the accuracy over the
shapes whose class is among the names.

Example:
    python tools/analysis_tools/zero_shot.py configs/epcl_modelnet40_cls_demo.py \
        work_dirs/epcl_modelnet40_cls_demo/epoch_8.pth --names sphere ball box cube
"""
import argparse
from collections import Counter, defaultdict

import torch
from mmdet3d.registry import DATASETS, MODELS
from mmdet3d.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint
from torch.utils.data import DataLoader


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--names', nargs='+', required=True,
                        help='candidate class names (underscores read as spaces)')
    parser.add_argument('--templates', nargs='+', default=None,
                        help="prompt templates with one '{}' (default: the model's)")
    parser.add_argument('--batch-size', type=int, default=16)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classes = list(dataset.metainfo['classes'])
    loader = DataLoader(dataset, batch_size=args.batch_size, collate_fn=pseudo_collate)
    named = defaultdict(Counter)
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            scores = model.predict_open_vocab(data['inputs']['points'], args.names,
                                              args.templates)  # (B, n)
            for sample, pred in zip(data['data_samples'], scores.argmax(-1).tolist()):
                named[classes[int(sample.gt_label.label)]][args.names[pred]] += 1
    correct = total = 0
    print(f'{"class":<16} named as (count)')
    for cls in classes:
        counts = named[cls]
        print(f'{cls:<16} ' + ', '.join(f'{n} ({c})' for n, c in counts.most_common(3)))
        if cls in args.names:
            correct += counts[cls]
            total += sum(counts.values())
    if total:
        print(f'accuracy over the {total} shapes whose class is among --names: '
              f'{100 * correct / total:.1f}% (chance {100 / len(args.names):.1f}%)')


if __name__ == '__main__':
    main()
