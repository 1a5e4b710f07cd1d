"""tools/infer.py: image files and folders to class names and scores."""
import json

import mmcv
import numpy as np
import pytest

from .tool_loader import load_tool


def test_infer_folder_and_file(tiny_trained, tmp_path, capsys):
    infer = load_tool('infer.py')
    cfg, _, ckpt = tiny_trained
    folder = tmp_path / 'imgs'
    (folder / 'sub').mkdir(parents=True)
    rng = np.random.default_rng(0)
    greys = [rng.integers(0, 255, (28, 28), np.uint8) for _ in range(3)]
    paths = [folder / 'a.png', folder / 'sub' / 'b.png', tmp_path / 'c.png']
    for grey, path in zip(greys, paths):
        mmcv.imwrite(grey, str(path))
    (folder / 'notes.txt').write_text('not an image')
    out = tmp_path / 'preds.json'
    records = infer.main([
        cfg, ckpt,
        str(folder),
        str(paths[2]), '--topk', '3', '--out',
        str(out)
    ])
    assert [r['image'] for r in records] == [str(p) for p in paths]
    from mmpretrain.datasets import FashionMNIST

    from mmctune.apis import inference_model, init_model
    model, _ = init_model(cfg, ckpt)
    for grey, record in zip(greys, records):
        scores = inference_model(model, grey)['pred_scores']
        top = record['top']
        assert len(top) == 3
        assert [p['label'] for p in top] == list(np.argsort(-scores)[:3])
        assert top[0]['score'] == pytest.approx(float(scores.max()))
        assert top[0]['class'] == FashionMNIST.METAINFO['classes'][top[0]
                                                                   ['label']]
    assert json.loads(out.read_text()) == records
    printed = capsys.readouterr().out
    assert f'{paths[0]}: {records[0]["top"][0]["class"]}' in printed


def test_infer_names_bad_inputs(tiny_trained, tmp_path):
    infer = load_tool('infer.py')
    cfg, _, ckpt = tiny_trained
    with pytest.raises(FileNotFoundError, match='missing.png not found'):
        infer.main([cfg, ckpt, str(tmp_path / 'missing.png')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no image in'):
        infer.main([cfg, ckpt, str(tmp_path / 'empty')])
    with pytest.raises(FileNotFoundError, match='nope.pth not found'):
        infer.main([cfg, str(tmp_path / 'nope.pth'), str(tmp_path)])
