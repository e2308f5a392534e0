"""Overall, mean-class and per-class accuracy of shape classification."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet3d.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger


@METRICS.register_module()
class EPCLClsMetric(BaseMetric):
    """Classification accuracy.

    Reads ``gt_label.label`` and ``pred_label.label`` of each data sample (as
    set by ``EPCLPackClsInputs`` and ``EPCLClassifier``). Returns
    ``overall_acc`` (correct / all) and ``mean_class_acc`` (mean over the
    classes present in the ground truth of per-class recall), both in percent;
    the per-class accuracies go to the log as a table, and into the returned
    dict as ``acc/<class>`` when ``per_class_in_results`` is set.

    Args:
        per_class_in_results: also return each class's accuracy.
        collect_device / prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix = 'cls'

    def __init__(self, per_class_in_results: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_class_in_results = per_class_in_results

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_label' not in sample or 'pred_label' not in sample:
                raise KeyError('EPCLClsMetric needs gt_label and pred_label in each '
                               'data sample (EPCLPackClsInputs + EPCLClassifier)')
            self.results.append((int(sample['gt_label']['label'].reshape(-1)[0]),
                                 int(sample['pred_label']['label'].reshape(-1)[0])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        gt = np.array([r[0] for r in results], dtype=np.int64)
        pred = np.array([r[1] for r in results], dtype=np.int64)
        classes = (self.dataset_meta or {}).get('classes')
        num_classes = len(classes) if classes else int(max(gt.max(), pred.max()) + 1)
        names = list(classes) if classes else [str(i) for i in range(num_classes)]
        correct = np.bincount(gt[gt == pred], minlength=num_classes)
        total = np.bincount(gt, minlength=num_classes)
        present = total > 0
        per_class = np.where(present, correct / np.maximum(total, 1), np.nan) * 100
        metrics = dict(overall_acc=float((gt == pred).mean() * 100),
                       mean_class_acc=float(np.nanmean(per_class[present])))
        lines = [f'{"class":<20}{"acc":>8}{"n":>6}']
        for name, acc, n in zip(names, per_class, total):
            lines.append(f'{name:<20}{acc:>8.2f}{n:>6d}' if n else f'{name:<20}{"-":>8}{0:>6d}')
        MMLogger.get_current_instance().info('per-class accuracy:\n' + '\n'.join(lines))
        if self.per_class_in_results:
            for name, acc, n in zip(names, per_class, total):
                if n:
                    metrics[f'acc/{name}'] = float(acc)
        return metrics
