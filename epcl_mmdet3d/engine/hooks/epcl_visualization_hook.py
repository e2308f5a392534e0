"""Headless pictures of test predictions: what ``tools/test.py --show-dir`` switches on."""
import os
import os.path as osp
import warnings
from typing import Optional, Sequence

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook

from ...visualization.sample_render import render_data_sample


@HOOKS.register_module()
class EPCLVisualizationHook(Hook):
    """After every test batch, draw each sample's predictions (boxes for detection,
    per-point labels for segmentation) over the points the model read, beside the
    ground truth where the data set has it, into ``out_dir/<scene>.png``.

    mmdet3d's ``Det3DVisualizationHook`` draws through open3d and a window, reads the
    point file again, and must be told the task (with its default ``vis_task`` a point
    cloud run stops on "img_path is not in data_sample"). This hook needs none of that:
    it takes the points from the batch (already aligned and sampled, in the frame of
    the predictions) and draws on matplotlib's Agg canvas. Classification samples have
    nothing to draw and are skipped.

    Args:
        out_dir: folder the PNGs go to (created).
        score_thr: predicted boxes scoring less are not drawn.
        max_boxes: at most this many predicted boxes per scene (highest scores).
        interval: draw every ``interval``-th test sample.
    """

    priority = 'NORMAL'

    def __init__(self, out_dir: str, score_thr: float = 0.1, max_boxes: Optional[int] = 20,
                 interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.out_dir = out_dir
        self.score_thr = score_thr
        self.max_boxes = max_boxes
        self.interval = interval
        self._index = 0
        self._skipped = False

    def before_test(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        self._index = 0

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict = None,
                        outputs: Optional[Sequence] = None) -> None:
        meta = runner.test_dataloader.dataset.metainfo
        classes = list(meta.get('classes') or [])
        for points, sample in zip(data_batch['inputs']['points'], outputs):
            index, self._index = self._index, self._index + 1
            if index % self.interval:
                continue
            name = osp.splitext(osp.basename(sample.lidar_path))[0] \
                if 'lidar_path' in sample else f'sample_{index:06d}'
            written = render_data_sample(
                points, sample, osp.join(self.out_dir, f'{name}.png'), classes,
                palette=meta.get('palette'), ignore_index=meta.get('ignore_index'),
                score_thr=self.score_thr, max_boxes=self.max_boxes, title=name)
            if written is None and not self._skipped:
                self._skipped = True
                warnings.warn('EPCLVisualizationHook: the test samples hold neither boxes '
                              'nor per-point labels (classification?); nothing is drawn')
