"""The segmentation smoke data (tiles of stardist's nuclei image) from a
folder or a wheel, and the smoke configs training and reporting MPA, FWIoU
and MIoU through tools/train.py."""
import os
import os.path as osp
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from ..conftest import ROOT, run_python
from .tool_loader import load_tool

prepare = load_tool('dataset_converters/prepare_stardist_nuclei.py').prepare

TRAIN = osp.join(ROOT, 'tools', 'train.py')


def fake_stardist(folder, size=128):
    """img2d.tif (uint16) and mask2d.tif (instance labels) like stardist's:
    bright squares as nuclei."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 40, (size, size)).astype(np.uint16)
    mask = np.zeros((size, size), np.uint16)
    for k, (r, c) in enumerate([(5, 5), (40, 70), (90, 20), (100, 100)]):
        mask[r:r + 14, c:c + 14] = k + 1
        img[r:r + 14, c:c + 14] += 150
    os.makedirs(folder, exist_ok=True)
    Image.fromarray(img).save(osp.join(folder, 'img2d.tif'))
    Image.fromarray(mask).save(osp.join(folder, 'mask2d.tif'))
    return folder, img, mask


def test_tiles_from_a_folder_and_from_a_wheel(tmp_path):
    src, img, mask = fake_stardist(str(tmp_path / 'src'))
    assert prepare(str(tmp_path / 'a'), src) == (12, 4)  # 4x4 tiles of 32
    whl = tmp_path / 'wheels' / 'stardist-0.9.2-py3-none-any.whl'
    whl.parent.mkdir()
    with zipfile.ZipFile(whl, 'w') as z:
        for f in ('img2d.tif', 'mask2d.tif'):
            z.write(osp.join(src, f), f'stardist/data/images/{f}')
    assert prepare(str(tmp_path / 'b'), str(whl.parent)) == (12, 4)
    for split, names in (('train', 12), ('val', 4)):
        files = sorted(os.listdir(tmp_path / 'b' / 'ann_dir' / split))
        assert len(files) == names
    # the last column of tiles is validation; masks are the binary nuclei
    ann = np.array(
        Image.open(tmp_path / 'b' / 'ann_dir' / 'val' / 'r3_c3.png'))
    np.testing.assert_array_equal(ann, (mask[96:, 96:] > 0).astype(np.uint8))
    tile = np.array(
        Image.open(tmp_path / 'a' / 'img_dir' / 'train' / 'r1_c2.png'))
    assert tile.shape == (32, 32, 3) and tile.dtype == np.uint8
    a = np.array(
        Image.open(tmp_path / 'a' / 'ann_dir' / 'train' / 'r1_c2.png'))
    b = np.array(
        Image.open(tmp_path / 'b' / 'ann_dir' / 'train' / 'r1_c2.png'))
    np.testing.assert_array_equal(a, b)


def test_missing_source_says_how_to_get_it(tmp_path):
    with pytest.raises(
            FileNotFoundError, match='pip download --no-deps '
            'stardist'):
        prepare(str(tmp_path / 'out'), str(tmp_path))


@pytest.mark.parametrize('method', ['ce', 'coretune'])
def test_smoke_config_trains_and_reports(tmp_path, method):
    src, _, _ = fake_stardist(str(tmp_path / 'src'))
    data = str(tmp_path / 'tiles')
    prepare(data, src)
    cfg = f'configs/seg/deeplabv3_r18-tiny_{method}_stardist.py'
    r = run_python(args=[
        TRAIN, cfg, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}',
        f'test_dataloader.dataset.data_root={data}',
        'train_dataloader.batch_size=4', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    m = re.search(r'MPA: ([\d.]+)\s+FWIoU: ([\d.]+)\s+MIoU: ([\d.]+)',
                  r.stdout)
    assert m and all(0 <= float(v) <= 100 for v in m.groups())
    if method == 'coretune':
        assert 'aux_1.loss_con' in r.stdout
