"""SegMetrics: MPA, FWIoU and MIoU against a hand computation on a tiny
prediction (with ignored pixels and a class absent from both)."""
import pytest
import torch

from mmctune.evaluation.metrics import SegMetrics

GT = [[0, 0, 1, 1], [2, 2, 255, 1]]
PRED = [[0, 1, 1, 1], [2, 0, 0, 2]]


def sample(pred, gt):
    return dict(
        pred_sem_seg=dict(data=torch.tensor([pred])),
        gt_sem_seg=dict(data=torch.tensor([gt])))


@pytest.mark.parametrize('num_classes', [3, 4])
def test_against_hand_computation(num_classes):
    # 7 counted pixels (one ignored). Per class (gt, pred, both):
    # 0: (2, 2, 1) IoU 1/3, acc 1/2; 1: (3, 3, 2) IoU 1/2, acc 2/3;
    # 2: (2, 2, 1) IoU 1/3, acc 1/2; class 3 (if any) is in neither: left
    # out of the means.
    metric = SegMetrics()
    metric.dataset_meta = dict(classes=[f'c{i}' for i in range(num_classes)])
    # the same image split in two "batches": counts add up
    metric.process({}, [sample(PRED[:1], GT[:1])])
    metric.process({}, [sample(PRED[1:], GT[1:])])
    scores = metric.evaluate(2)
    assert scores['MPA'] == round((1 / 2 + 2 / 3 + 1 / 2) / 3 * 100, 2)
    assert scores['MIoU'] == round((1 / 3 + 1 / 2 + 1 / 3) / 3 * 100, 2)
    fw = 2 / 7 * 1 / 3 + 3 / 7 * 1 / 2 + 2 / 7 * 1 / 3
    assert scores['FWIoU'] == round(fw * 100, 2) == 40.48
    assert scores['aAcc'] == round(4 / 7 * 100, 2)


def test_empty_is_an_error():
    metric = SegMetrics()
    metric.dataset_meta = dict(classes=['a', 'b'])
    with pytest.raises(ValueError, match='no results'):
        metric.compute_metrics([])
