"""A user's own scans: mmdet3d's inference API with our models, tools/infer.py on every
point-file kind, and tools/test.py --show-dir pictures (detection and segmentation)."""
import glob
import json
import os.path as osp
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.apis import check_point_extent, fit_points_to_config, read_point_file
from epcl_mmdet3d.datasets.synthetic import (
    DEMO_CLASSES,
    S3DIS_CLASSES,
    create_synthetic_s3dis,
    create_synthetic_scannet,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CFG = osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')
SEG_CFG = osp.join(ROOT, 'configs', 'epcl_s3dis_seg_demo.py')
PNG = b'\x89PNG\r\n\x1a\n'


def _checkpoint(config, classes, path):
    """An (untrained) checkpoint of the config's model, as a Runner would save it."""
    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmdet3d')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=list(classes)))), path)
    return str(path)


@pytest.fixture(scope='module')
def det_case(tmp_path_factory):
    root = tmp_path_factory.mktemp('det')
    create_synthetic_scannet(str(root / 'data'), num_train=1, num_val=2, num_points=3000)
    return dict(root=root, data=str(root / 'data') + '/',
                ckpt=_checkpoint(DET_CFG, DEMO_CLASSES, root / 'det.pth'))


@pytest.fixture(scope='module')
def seg_case(tmp_path_factory):
    root = tmp_path_factory.mktemp('seg')
    create_synthetic_s3dis(str(root / 'data'), rooms_per_area=1, areas=(5, ),
                           density=40, num_points=512)
    return dict(root=root, data=str(root / 'data') + '/',
                ckpt=_checkpoint(SEG_CFG, S3DIS_CLASSES, root / 'seg.pth'))


def _scene_bin(data_root):
    """The first point file of a data set (mmdet3d's float32 (N, 6) layout)."""
    return sorted(glob.glob(osp.join(data_root, 'points', '*.bin')))[0]


def test_wrong_channel_counts_name_use_dim_and_the_columns(tmp_path):
    seg_cfg = Config.fromfile(SEG_CFG)  # xyz + rgb: use_dim [0..5] of load_dim 6
    xyz = np.random.default_rng(0).random((50, 3)).astype(np.float32)
    np.save(tmp_path / 'xyz.npy', xyz)
    points, columns = read_point_file(str(tmp_path / 'xyz.npy'))
    with pytest.raises(ValueError) as err:
        fit_points_to_config(points, columns, seg_cfg, source='xyz.npy')
    msg = str(err.value)
    assert 'xyz.npy has 3 columns (x, y, z)' in msg
    assert 'load_dim=6' in msg and 'use_dim=[0, 1, 2, 3, 4, 5]' in msg
    # the detection demo reads xyz only: the same file fits, padded to load_dim
    fitted = fit_points_to_config(points, columns, Config.fromfile(DET_CFG))
    assert fitted.shape == (50, 6) and np.array_equal(fitted[:, :3], xyz)
    # a .bin whose size is not a multiple of load_dim
    xyz[:7].tofile(tmp_path / 'odd.bin')  # 21 floats
    with pytest.raises(ValueError, match='not a multiple of .*load_dim=6'):
        read_point_file(str(tmp_path / 'odd.bin'), load_dim=6)
    np.save(tmp_path / 'flat.npy', xyz[:, :2])
    with pytest.raises(ValueError, match=r'C >= 3'):
        read_point_file(str(tmp_path / 'flat.npy'))
    with pytest.raises(ValueError, match='unknown point file type'):
        (tmp_path / 'x.las').write_bytes(b'1')
        read_point_file(str(tmp_path / 'x.las'))


def test_point_file_kinds_read_the_same_points(tmp_path):
    from plyfile import PlyData, PlyElement
    rng = np.random.default_rng(1)
    pts = np.hstack([rng.random((20, 3)), rng.integers(0, 255, (20, 3))]).astype(np.float32)
    pts.tofile(tmp_path / 'a.bin')
    np.save(tmp_path / 'a.npy', pts)
    np.savetxt(tmp_path / 'a.txt', pts, delimiter=',')
    np.savetxt(tmp_path / 'a.xyz', pts)
    vertex = np.array([tuple(p[:3]) + tuple(int(c) for c in p[3:]) for p in pts],
                      dtype=[('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('red', 'u1'),
                             ('green', 'u1'), ('blue', 'u1')])
    PlyData([PlyElement.describe(vertex, 'vertex')]).write(str(tmp_path / 'a.ply'))
    for name in ('a.bin', 'a.npy', 'a.txt', 'a.xyz', 'a.ply'):
        points, columns = read_point_file(str(tmp_path / name), load_dim=6)
        np.testing.assert_allclose(points, pts, rtol=1e-6, err_msg=name)
    assert columns == ['x', 'y', 'z', 'red', 'green', 'blue']


@pytest.mark.slow
def test_mmdet3d_inference_api_with_our_detector(det_case, tmp_path):
    from mmdet3d.apis import LidarDet3DInferencer, inference_detector, init_model
    from mmdet3d.structures import DepthInstance3DBoxes
    scene = _scene_bin(det_case['data'])
    model = init_model(DET_CFG, det_case['ckpt'], device='cpu')
    assert list(model.dataset_meta['classes']) == list(DEMO_CLASSES)
    sample, data = inference_detector(model, scene)
    pred = sample.pred_instances_3d
    assert isinstance(pred.bboxes_3d, DepthInstance3DBoxes)
    assert len(pred.scores_3d) == len(pred.labels_3d) == len(pred.bboxes_3d) > 0
    assert data['inputs']['points'].shape == (2048, 3)  # the demo pipeline's PointSample

    inferencer = LidarDet3DInferencer(model=DET_CFG, weights=det_case['ckpt'], device='cpu')
    out = inferencer(dict(points=scene), out_dir=str(tmp_path), no_save_vis=True,
                     pred_score_thr=0.0)
    [result] = out['predictions']
    assert result['box_type_3d'] == 'Depth' and len(result['bboxes_3d']) > 0
    assert osp.isfile(tmp_path / 'preds' / (osp.splitext(osp.basename(scene))[0] + '.json'))


@pytest.mark.slow
def test_mmdet3d_inference_api_with_our_segmentor(seg_case):
    from mmdet3d.apis import inference_segmentor, init_model
    room = _scene_bin(seg_case['data'])
    num_points = np.fromfile(room, dtype=np.float32).size // 6
    model = init_model(SEG_CFG, seg_case['ckpt'], device='cpu')
    sample, _ = inference_segmentor(model, room)
    labels = sample.pred_pts_seg.pts_semantic_mask
    assert labels.shape == (num_points, )  # every point of the whole room
    assert int(labels.min()) >= 0 and int(labels.max()) < len(S3DIS_CLASSES)


def _write_ply(path, columns, names_and_types):
    """A PLY file whose vertex properties are ``names_and_types`` (in that order)."""
    from plyfile import PlyData, PlyElement
    vertex = np.empty(len(columns[0]), dtype=names_and_types)
    for (name, _), values in zip(names_and_types, columns):
        vertex[name] = values
    PlyData([PlyElement.describe(vertex, 'vertex')]).write(str(path))


def _xyz_rgb(n=30, seed=3):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype(np.float32) * 4, rng.integers(0, 255, (n, 3))


def test_ply_properties_are_read_by_name_whatever_their_order(tmp_path):
    xyz, rgb = _xyz_rgb()
    _write_ply(tmp_path / 'rgb_first.ply', [*rgb.T, *xyz.T],
               [('red', 'u1'), ('green', 'u1'), ('blue', 'u1'), ('x', 'f4'), ('y', 'f4'),
                ('z', 'f4')])
    points, columns = read_point_file(str(tmp_path / 'rgb_first.ply'))
    assert columns == ['x', 'y', 'z', 'red', 'green', 'blue']
    np.testing.assert_array_equal(points[:, :3], xyz)
    np.testing.assert_array_equal(points[:, 3:], rgb)

    _write_ply(tmp_path / 'unnamed.ply', [*xyz.T, *rgb.T],
               [('a', 'f4'), ('b', 'f4'), ('c', 'f4'), ('red', 'u1'), ('green', 'u1'),
                ('blue', 'u1')])
    with pytest.raises(ValueError, match=r'unnamed.ply: its points have the columns a, b, c, '
                       r'red, green, blue but no x / y / z'):
        read_point_file(str(tmp_path / 'unnamed.ply'))


def test_named_npy_fields_and_text_headers_are_read_by_name(tmp_path):
    xyz, rgb = _xyz_rgb()
    fields = np.empty(len(xyz), dtype=[('r', 'u1'), ('g', 'u1'), ('b', 'u1'), ('z', 'f4'),
                                       ('y', 'f4'), ('x', 'f4')])
    fields['r'], fields['g'], fields['b'] = rgb.T
    fields['x'], fields['y'], fields['z'] = xyz.T
    np.save(tmp_path / 'fields.npy', fields)
    np.savetxt(tmp_path / 'header.csv', np.hstack([rgb, xyz[:, ::-1]]), delimiter=',',
               header='red,green,blue,z,y,x', comments='')
    for name in ('fields.npy', 'header.csv'):
        points, columns = read_point_file(str(tmp_path / name))
        np.testing.assert_allclose(points[:, :3], xyz, rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(points[:, 3:], rgb)
        assert columns[:3] == ['x', 'y', 'z']


def test_integer_and_float64_coordinates_are_named(tmp_path):
    xyz, _ = _xyz_rgb()
    np.save(tmp_path / 'cm.npy', (xyz * 100).astype(np.int32))
    with pytest.raises(ValueError, match='cm.npy: the coordinates x, y, z are int32; integer '
                       'coordinates are usually millimetres or centimetres'):
        read_point_file(str(tmp_path / 'cm.npy'))
    _write_ply(tmp_path / 'mm.ply', [*(xyz.T * 1000).astype(np.int16)],
               [('x', 'i2'), ('y', 'i2'), ('z', 'i2')])
    with pytest.raises(ValueError, match='the coordinates x, y, z are int16'):
        read_point_file(str(tmp_path / 'mm.ply'))

    np.save(tmp_path / 'double.npy', xyz.astype(np.float64))
    with pytest.warns(UserWarning, match='double.npy: the coordinates are float64; they are '
                      'converted to float32'):
        points, _ = read_point_file(str(tmp_path / 'double.npy'))
    assert points.dtype == np.float32 and np.allclose(points, xyz)

    # a headerless .bin of float64: recognised, not read as twice the float32 values
    scene = np.hstack([xyz, np.full((len(xyz), 3), 128.0)])  # (N, 6)
    scene.astype(np.float64).tofile(tmp_path / 'double.bin')
    with pytest.raises(ValueError, match='double.bin looks like float64 values \\(6 per '
                       'point\\), but mmdet3d\'s .bin point files hold float32'):
        read_point_file(str(tmp_path / 'double.bin'), load_dim=6)
    scene.astype(np.float32).tofile(tmp_path / 'single.bin')  # the same points, float32
    points, _ = read_point_file(str(tmp_path / 'single.bin'), load_dim=6)
    np.testing.assert_array_equal(points[:, :3], xyz)


def test_a_scene_wider_than_a_room_is_warned_about():
    room = np.array([[0, 0, 0], [8.0, 6.0, 3.0]])  # metres
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert check_point_extent(room, 'room.npy') is None
    with pytest.warns(UserWarning, match=r'cm.npy: the points span 800.0 x 600.0 x 300.0 .* '
                      'wider than any room .* divide the coordinates by 100 or 1000'):
        check_point_extent(room * 100, 'cm.npy')


def test_outputs_of_files_of_one_stem_do_not_overwrite_each_other(load_tool):
    names = load_tool('infer').output_names(['a/scan.ply', 'a/scan.npy', 'b/scan.ply',
                                             'scan.txt', 'c/scan.ply'])
    assert names == ['scan.ply', 'scan.npy', 'scan.ply-2', 'scan.txt', 'scan.ply-3']


@pytest.mark.slow
def test_infer_tool_on_every_file_kind(det_case, seg_case, load_tool, tmp_path, capsys):
    scene = np.fromfile(_scene_bin(det_case['data']), dtype=np.float32).reshape(-1, 6)
    names = ('x', 'y', 'z', 'red', 'green', 'blue')
    _write_ply(tmp_path / 'scan.ply', scene.T, [(n, 'f4') for n in names])
    (tmp_path / 'reordered').mkdir()  # the same points, colour properties first
    _write_ply(tmp_path / 'reordered' / 'scan.ply', scene[:, [3, 4, 5, 0, 1, 2]].T,
               [(n, 'f4') for n in names[3:] + names[:3]])
    np.save(tmp_path / 'scan.npy', scene[:, :3])  # xyz only: all the config uses
    np.savetxt(tmp_path / 'scan.xyz', scene[:, :3])
    files = [str(tmp_path / n) for n in ('scan.ply', 'scan.npy', 'scan.xyz',
                                         'reordered/scan.ply')]
    out = tmp_path / 'out'
    load_tool('infer').main([DET_CFG, det_case['ckpt'], *files, '--out-dir', str(out)])
    printed = capsys.readouterr().out
    results = {}
    for name in ('scan.ply', 'scan.npy', 'scan.xyz', 'scan.ply-2'):  # nothing overwritten
        result = results[name] = json.loads((out / f'{name}.json').read_text())
        assert result['task'] == 'det' and result['boxes'] and result['seed'] == 0
        assert result['num_points_read'] == len(scene) and result['num_points_used'] == 2048
        assert 'BOTTOM centre' in result['box_layout'] and result['box_type_3d'] == 'Depth'
        box = result['boxes'][0]
        assert box['class'] in DEMO_CLASSES and len(box['bbox_3d']) == 7
        assert box['bbox_3d'][:3] == box['bottom_center']
        assert box['gravity_center'][2] == pytest.approx(
            box['bottom_center'][2] + box['size'][2] / 2, abs=2e-4)
        assert (out / f'{name}.png').read_bytes()[:8] == PNG
        assert f'{name}.json' in printed
    assert f'read {len(scene)} points (x, y, z, red, green, blue); the model used 2048' \
        in printed
    # the same points, seeded alike: the same boxes whatever the file kind or the order
    # of the PLY properties
    for name in ('scan.npy', 'scan.xyz', 'scan.ply-2'):
        assert results[name]['boxes'] == results['scan.ply']['boxes'], name

    room = _scene_bin(seg_case['data'])
    load_tool('infer').main([SEG_CFG, seg_case['ckpt'], room, '--out-dir', str(out)])
    result = json.loads((out / (osp.basename(room) + '.json')).read_text())
    assert result['task'] == 'seg'
    assert len(result['labels']) == np.fromfile(room, dtype=np.float32).size // 6
    assert set(result['class_counts']) <= set(S3DIS_CLASSES)


@pytest.mark.slow
def test_test_tool_show_dir_writes_pictures(det_case, seg_case, load_tool, tmp_path,
                                            monkeypatch):
    test = load_tool('test')
    monkeypatch.chdir(tmp_path)
    # a relative --show-dir goes into work_dir/<timestamp>/, as with mmdet3d's tools
    test.main([DET_CFG, det_case['ckpt'], '--work-dir', 'w1', '--show-dir', 'det_pngs',
               '--cfg-options', f'test_dataloader.dataset.data_root={det_case["data"]}'])
    assert not (tmp_path / 'det_pngs').exists()
    pngs = sorted(tmp_path.glob('w1/*/det_pngs/*.png'))
    assert len(pngs) == 2 and all(p.read_bytes()[:8] == PNG for p in pngs)  # 2 val rooms

    seg_dir = tmp_path / 'seg_pngs'  # an absolute one stays where it is
    test.main([SEG_CFG, seg_case['ckpt'], '--work-dir', str(tmp_path / 'w2'),
               '--show-dir', str(seg_dir), '--cfg-options',
               f'test_dataloader.dataset.data_root={seg_case["data"]}'])
    pngs = sorted(seg_dir.glob('*.png'))
    assert len(pngs) == 1 and pngs[0].read_bytes()[:8] == PNG  # the one Area 5 room
