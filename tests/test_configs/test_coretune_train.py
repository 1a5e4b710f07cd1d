"""`tools/train.py configs/coretune/r50_moco_cifar10.py` with tiny data and
one epoch runs here: the config's ResNet-50, head and schedule as they are;
the data are 10 tiny images instead of CIFAR-10 (mmpretrain's CIFAR10 checks
the real files' md5 sums)."""
import glob
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ..conftest import ROOT, run_python


@pytest.fixture()
def tiny_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    # CIFAR-10's 10 classes (DatasetCheckHook checks them against the
    # head), 1 image each
    for c in range(10):
        folder = tmp_path / 'imgs' / f'class{c}'
        folder.mkdir(parents=True)
        for i in range(1):
            Image.fromarray(rng.integers(
                0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / f'{i}.png')
    return str(tmp_path / 'imgs')


@pytest.mark.parametrize('config', [
    'configs/coretune/r50_moco_cifar10.py',
    'configs/baselines/scl_r50_moco_cifar10.py',
    'configs/tcl/coretune-tcl_r50_moco_cifar10.py',
])
def test_config_trains_one_epoch(config, tiny_image_folder, tmp_path):
    data = tmp_path / 'tiny_data.py'
    data.write_text(f"""
_base_ = [{osp.join(ROOT, config)!r}]
model = dict(backbone=dict(init_cfg=None))  # no download here
_data = dict(_delete_=True, type='mmpretrain.CustomDataset',
             data_root={tiny_image_folder!r})
# a small stand-in pipeline (the random-resized-crop alternative,
# cifar10_rrc.py, at 64 px: the network is the config's whatever the image
# size), after loading the image files
_load = dict(type='mmpretrain.LoadImageFromFile')
train_dataloader = dict(
    batch_size=3, num_workers=0,
    dataset=dict(_data, pipeline=[
        _load, dict(type='mmpretrain.RandomResizedCrop', scale=64),
        dict(type='mmpretrain.RandomFlip', prob=0.5),
        dict(type='mmpretrain.PackInputs')]))
val_dataloader = dict(
    batch_size=3, num_workers=0,
    dataset=dict(_data, pipeline=[
        _load, dict(type='mmpretrain.Resize', scale=72),
        dict(type='mmpretrain.CenterCrop', crop_size=64),
        dict(type='mmpretrain.PackInputs')]))
test_dataloader = val_dataloader
""")
    work = str(tmp_path / 'work')
    r = run_python(
        args=[
            osp.join(ROOT, 'tools', 'train.py'),
            str(data), '--work-dir', work, '--cfg-options',
            'train_cfg.max_epochs=1'
        ],
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss_con' in r.stdout
    assert ('loss_mix' in r.stdout) == ('coretune' in config)
    assert 'accuracy/top1' in r.stdout
    assert glob.glob(osp.join(work, 'epoch_1.pth'))
