"""tools/infer.py --classes and the Python API name what a model with an open-vocabulary
head finds with the words they were given; a fixed head refuses other names."""
import json
import os.path as osp

import pytest
from test_user_scans import _checkpoint  # the same checkpoint writer (tests/test_tools)

import epcl_mmdet3d  # noqa: F401
from epcl_mmdet3d.apis import infer_point_file, parse_class_names, set_model_classes
from epcl_mmdet3d.datasets.synthetic import DEMO_CLASSES, create_synthetic_scannet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEXT_CFG = osp.join(ROOT, 'configs', 'open_vocabulary', 'epcl_scannet_det_demo_text.py')
FIXED_CFG = osp.join(ROOT, 'configs', 'epcl_scannet_det_demo.py')
ASKED = ['chair', 'whiteboard', 'plant']
PNG = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp('ov_infer')
    create_synthetic_scannet(str(root / 'data'), num_train=1, num_val=1, num_points=3000)
    scene = sorted((root / 'data' / 'points').glob('*.bin'))[0]
    return dict(root=root, scene=str(scene),
                # untrained checkpoints as a Runner saves them: the names come from text,
                # not from the weights, so training would not change what is tested
                text=_checkpoint(TEXT_CFG, DEMO_CLASSES, root / 'text.pth'),
                fixed=_checkpoint(FIXED_CFG, DEMO_CLASSES, root / 'fixed.pth'))


def test_parse_class_names():
    assert parse_class_names(' chair, whiteboard ,plant') == ASKED
    with pytest.raises(ValueError, match='non-empty'):
        parse_class_names('chair,,plant')


def test_infer_tool_names_boxes_with_the_words_given(case, load_tool, tmp_path, capsys):
    out = tmp_path / 'out'
    load_tool('infer').main([TEXT_CFG, case['text'], case['scene'], '--out-dir', str(out),
                             '--classes', 'chair, whiteboard, plant'])
    name = osp.basename(case['scene'])
    result = json.loads((out / f'{name}.json').read_text())
    assert result['classes'] == ASKED
    assert result['boxes'] and {b['class'] for b in result['boxes']} <= set(ASKED)
    assert {b['label'] for b in result['boxes']} <= {0, 1, 2}
    assert (out / f'{name}.png').read_bytes()[:8] == PNG
    printed = capsys.readouterr().out
    assert any(w in printed for w in ASKED)

    # without --classes: the checkpoint's classes
    load_tool('infer').main([TEXT_CFG, case['text'], case['scene'], '--out-dir', str(out)])
    result = json.loads((out / f'{name}.json').read_text())
    assert result['classes'] == list(DEMO_CLASSES)
    assert {b['class'] for b in result['boxes']} <= set(DEMO_CLASSES)


def test_python_api_and_mmdet3d_init_model(case):
    from mmdet3d.apis import inference_detector, init_model
    model = init_model(TEXT_CFG, case['text'], device='cpu')
    # mmdet3d's own API: the names of the checkpoint, taken at the first prediction
    sample, _ = inference_detector(model, case['scene'])
    assert model.class_names == list(DEMO_CLASSES)
    assert int(sample.pred_instances_3d.labels_3d.max()) < len(DEMO_CLASSES)
    res = infer_point_file(model, case['scene'], seed=0, classes=['lamp', 'door'])
    assert res['classes'] == ['lamp', 'door'] == model.dataset_meta['classes']
    assert int(res['sample'].pred_instances_3d.labels_3d.max()) < 2


def test_a_fixed_head_refuses_other_names(case, load_tool, tmp_path):
    from mmdet3d.apis import init_model
    model = init_model(FIXED_CFG, case['fixed'], device='cpu')
    assert set_model_classes(model) == list(DEMO_CLASSES)
    with pytest.raises(ValueError, match='fixed classifier.*EPCLTextEmbeddingClassifier'):
        set_model_classes(model, 'chair, whiteboard')
    with pytest.raises(ValueError, match='fixed classifier'):
        load_tool('infer').main([FIXED_CFG, case['fixed'], case['scene'], '--out-dir',
                                 str(tmp_path), '--classes', 'chair, whiteboard'])
