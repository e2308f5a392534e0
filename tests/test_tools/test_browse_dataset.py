"""tools/misc/browse_dataset.py: ground truth after the training pipeline, headless,
for each task, without a checkpoint."""
import os.path as osp

import pytest
from matplotlib.image import imread

from epcl_mmdet3d.datasets.synthetic import (
    create_synthetic_modelnet40,
    create_synthetic_s3dis,
    create_synthetic_scannet,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _browse(load_tool, config, out, options, capsys, num=2, flags=()):
    load_tool('misc/browse_dataset').main([
        osp.join(ROOT, 'configs', config), '--output-dir', str(out), '--num', str(num),
        *flags, '--cfg-options', *options])
    pngs = sorted(out.glob('*.png'))
    assert len(pngs) == num
    for png in pngs:
        assert imread(str(png)).shape[0] > 200
    assert capsys.readouterr().out.count('wrote ') == num
    return pngs


@pytest.mark.slow
def test_browse_detection_segmentation_and_classification(load_tool, tmp_path, capsys):
    det = str(tmp_path / 'scannet') + '/'
    create_synthetic_scannet(det, num_train=2, num_val=1, num_points=10000)
    _browse(load_tool, 'epcl_scannet_det_demo.py', tmp_path / 'det',
            [f'train_dataloader.dataset.dataset.data_root={det}'], capsys,
            flags=('--task', 'lidar_det', '--not-show', '--aug'))  # mmdet3d's flags

    seg = str(tmp_path / 's3dis') + '/'
    create_synthetic_s3dis(seg, rooms_per_area=1, areas=(1, 2, 3, 4, 6), density=40,
                           num_points=512)
    _browse(load_tool, 'epcl_s3dis_seg_demo.py', tmp_path / 'seg',
            [f'train_dataloader.dataset.data_root={seg}'], capsys,
            flags=('--task', 'lidar_seg'))

    cls = str(tmp_path / 'modelnet')
    create_synthetic_modelnet40(cls, train_per_class=1, test_per_class=1, num_points=256,
                                classes=['sphere', 'cube'])
    _browse(load_tool, 'epcl_modelnet40_cls_demo.py', tmp_path / 'cls',
            [f'train_dataloader.dataset.data_root={cls}',
             'train_dataloader.dataset.pipeline.0.num_points=128',
             "class_names=['sphere','cube']"], capsys)


def test_start_past_the_end_is_refused(load_tool, tmp_path):
    cls = str(tmp_path / 'modelnet')
    create_synthetic_modelnet40(cls, train_per_class=1, test_per_class=1, num_points=64,
                                classes=['sphere'])
    with pytest.raises(IndexError, match='past the data set, which has 1 samples'):
        load_tool('misc/browse_dataset').main([
            osp.join(ROOT, 'configs', 'epcl_modelnet40_cls_demo.py'), '--output-dir',
            str(tmp_path / 'o'), '--start', '5', '--cfg-options',
            f'train_dataloader.dataset.data_root={cls}'])
