"""Headless pictures of test predictions: what ``tools/test.py --show-dir`` switches on."""
import os
import os.path as osp
import tempfile
import warnings
from typing import Optional, Sequence

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook

from ...visualization.det_scene import full_scene_points
from ...visualization.png_window import show_png
from ...visualization.sample_render import render_data_sample


@HOOKS.register_module()
class EPCLVisualizationHook(Hook):
    """After every test batch, draw each sample's predictions (boxes with class and
    score for detection, per-point labels for segmentation) beside the ground truth
    where the data set has it (boxes with their class), into ``out_dir/<scene>.png``.

    mmdet3d's ``Det3DVisualizationHook`` draws through open3d and a window, and must
    be told the task (with its default ``vis_task`` a point cloud run stops on
    "img_path is not in data_sample"). This hook draws on matplotlib's Agg canvas and
    reads the task from the samples. Detection pictures show every point of the scene
    file (thinned for speed), not only the model's sample; segmentation pictures the
    points that were labelled. Classification samples have nothing to draw and are
    skipped.

    Args:
        out_dir: folder the PNGs go to; a relative one is placed in
            ``work_dir/<timestamp>/`` as mmdet3d's hook places its ``test_out_dir``.
            None: pictures are only shown (``show=True``).
        score_thr: draw every predicted box scoring at least this; None: the 10 best.
        max_boxes: at most this many predicted boxes per scene (highest scores).
        interval: draw every ``interval``-th test sample.
        show: also show each picture in a window (needs a display).
        wait_time: seconds a shown picture stays up (0: until it is closed).
    """

    priority = 'NORMAL'

    def __init__(self, out_dir: Optional[str] = None, score_thr: Optional[float] = None,
                 max_boxes: Optional[int] = None, interval: int = 1, show: bool = False,
                 wait_time: float = 2.0) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if out_dir is None and not show:
            raise ValueError('EPCLVisualizationHook needs out_dir (where the PNGs go), '
                             'show=True, or both')
        self.out_dir = out_dir
        self.score_thr = score_thr
        self.max_boxes = max_boxes
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self._index = 0
        self._skipped = False
        self._tmp = None
        self._load_dim = None

    def before_test(self, runner) -> None:
        from ...apis.point_files import pipeline_point_dims
        try:
            self._load_dim = pipeline_point_dims(runner.cfg)[0]
        except (ValueError, KeyError, AttributeError):
            self._load_dim = None  # no LoadPointsFromFile: draw the batch's points
        if self.out_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix='epcl_show_')
            self._dir = self._tmp.name
        else:
            # osp.join keeps an absolute out_dir as it is
            self._dir = osp.join(runner.work_dir, runner.timestamp, self.out_dir)
            os.makedirs(self._dir, exist_ok=True)
        self._index = 0

    def after_test(self, runner) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

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
            if 'pred_instances_3d' in sample and self._load_dim:
                points = full_scene_points(sample, points, self._load_dim)
            written = render_data_sample(
                points, sample, osp.join(self._dir, f'{name}.png'), classes,
                palette=meta.get('palette'), ignore_index=meta.get('ignore_index'),
                score_thr=self.score_thr, max_boxes=self.max_boxes,
                title=f'{name}: {len(points)} points')
            if written is None and not self._skipped:
                self._skipped = True
                warnings.warn('EPCLVisualizationHook: the test samples hold neither boxes '
                              'nor per-point labels (classification?); nothing is drawn')
            if written is not None and self.show:
                show_png(written, self.wait_time)
