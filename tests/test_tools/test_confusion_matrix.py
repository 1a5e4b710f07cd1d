"""tools/analysis_tools/confusion_matrix.py on the session's tiny trained
run: from the checkpoint and from tools/test.py's predictions."""
import json
import os
import pickle

import pytest
import torch

from .tool_loader import load_tool

FMNIST_CLASSES = [
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
    'Sneaker', 'Bag', 'Ankle boot'
]


def test_confusion_matrix_from_checkpoint_and_predictions(
        tiny_trained, tmp_path, capsys):
    cfg, _, ckpt = tiny_trained
    tool = load_tool('analysis_tools/confusion_matrix.py')
    # the commands of docs/evaluation.md
    cm, classes = tool.main([
        cfg, ckpt, '--show-path',
        str(tmp_path / 'cm.png'), '--include-values', '--out',
        str(tmp_path / 'cm.json')
    ])
    printed = capsys.readouterr().out
    assert cm.shape == (10, 10) and int(cm.sum()) == 32  # the test split
    assert list(classes) == FMNIST_CLASSES  # from the checkpoint
    assert os.path.getsize(tmp_path / 'cm.png') > 10000
    saved = json.loads((tmp_path / 'cm.json').read_text())
    assert saved == dict(classes=FMNIST_CLASSES, matrix=cm.tolist())
    metrics = load_tool('test.py').main([
        cfg, ckpt, '--out',
        str(tmp_path / 'preds.pkl'), '--work-dir',
        str(tmp_path / 'test')
    ])
    capsys.readouterr()
    from_preds, classes = tool.main([cfg, str(tmp_path / 'preds.pkl')])
    printed_preds = capsys.readouterr().out
    # the same test run, two ways; its top-1 is tools/test.py's
    assert torch.equal(from_preds, cm)
    assert list(classes) == FMNIST_CLASSES  # from the config's dataset
    top1 = 100 * int(cm.trace()) / 32
    assert top1 == pytest.approx(metrics['accuracy/top1'])
    assert f'top-1 accuracy {top1:.2f}%' in printed
    summary = [line for line in printed.splitlines() if 'top-1' in line]
    assert summary == [
        line for line in printed_preds.splitlines() if 'top-1' in line
    ]
    # numbers: a row per true class, in the matrix's order
    rows = [line for line in printed.splitlines() if ' | ' in line][1:]
    assert [int(v) for v in rows[3].split(' | ')[1:]] == cm[3].tolist()
    assert rows[3].split(' | ')[0].strip() == 'Dress'


class _Runs:

    def __reduce__(self):
        return (os.makedirs, (str(self.path), ))


def test_confusion_matrix_reads_predictions_without_running_code(
        tiny_trained, tmp_path):
    cfg, _, _ = tiny_trained
    tool = load_tool('analysis_tools/confusion_matrix.py')
    payload = _Runs()
    payload.path = tmp_path / 'ran'
    bad = tmp_path / 'preds.pkl'
    bad.write_bytes(
        pickle.dumps([
            dict(
                gt_label=torch.tensor([0]),
                pred_score=torch.ones(10),
                note=payload)
        ]))
    with pytest.raises(
            pickle.UnpicklingError, match=r'os\.makedirs.*--trust-checkpoint'):
        tool.main([cfg, str(bad)])
    assert not payload.path.exists()
