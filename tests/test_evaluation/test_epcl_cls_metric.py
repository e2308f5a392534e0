"""EPCLClsMetric on hand-made predictions."""
import pytest
import torch

from epcl_mmdet3d.evaluation import EPCLClsMetric


def _samples(gts, preds):
    return [dict(gt_label=dict(label=torch.tensor([g])),
                 pred_label=dict(label=torch.tensor([p]), score=torch.zeros(3)))
            for g, p in zip(gts, preds)]


def test_overall_mean_and_per_class_accuracy():
    metric = EPCLClsMetric(per_class_in_results=True)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    # class a: 3/4 right, class b: 0/1, class c: 1/1  -> OA 4/6, mAcc (75+0+100)/3
    metric.process({}, _samples([0, 0, 0, 0, 1, 2], [0, 0, 0, 2, 0, 2]))
    res = metric.evaluate(6)
    assert res['cls/overall_acc'] == pytest.approx(400 / 6)
    assert res['cls/mean_class_acc'] == pytest.approx(175 / 3)
    assert res['cls/acc/a'] == pytest.approx(75)
    assert res['cls/acc/b'] == pytest.approx(0)


def test_absent_class_is_left_out_of_the_mean():
    metric = EPCLClsMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process({}, _samples([0, 2], [0, 0]))
    res = metric.evaluate(2)
    assert res['cls/overall_acc'] == pytest.approx(50)
    assert res['cls/mean_class_acc'] == pytest.approx(50)  # (100 + 0) / 2
    assert 'cls/acc/a' not in res


def test_missing_prediction_is_an_error():
    metric = EPCLClsMetric()
    with pytest.raises(KeyError, match='gt_label and pred_label'):
        metric.process({}, [dict(gt_label=dict(label=torch.tensor([0])))])
