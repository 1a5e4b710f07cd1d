"""tools/misc/verify_dataset.py: every image of a config's splits read
before training; the unreadable ones listed, the exit status says so."""
import os.path as osp

import numpy as np
from PIL import Image

from ..conftest import write_tiny_config


def image_folder(root, bad=()):
    """An image folder of two classes, 3 PNGs each; ``bad`` names files
    written as text instead."""
    for c in ('cat', 'dog'):
        (root / c).mkdir(parents=True)
        for i in range(3):
            path = root / c / f'{i}.png'
            if f'{c}/{i}.png' in bad:
                path.write_bytes(b'not an image')
            else:
                Image.fromarray(np.full((8, 8, 3), i, np.uint8)).save(path)
    return str(root)


def folder_config(tmp_path, data):
    path = tmp_path / 'folder.py'
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='mmpretrain.Resize', scale=8),
        dict(type='mmpretrain.PackInputs')
    ]
    loader = dict(
        batch_size=2,
        dataset=dict(
            type='mmpretrain.CustomDataset', data_root=data,
            pipeline=pipeline),
        sampler=dict(type='DefaultSampler', shuffle=False))
    path.write_text(f"""default_scope = 'mmctune'
train_dataloader = {loader!r}
val_dataloader = {loader!r}
""")
    return str(path)


def test_unreadable_images_are_listed_before_training(tmp_path):
    from .tool_loader import load_tool
    verify = load_tool('misc/verify_dataset.py')
    data = image_folder(tmp_path / 'data', bad=('dog/1.png', ))
    out = str(tmp_path / 'broken.txt')
    lines = verify.main([folder_config(tmp_path, data), '--out-path', out])
    assert len(lines) == 2  # train and val read the same folder
    assert all('dog/1.png' in line and 'cannot read the image' in line
               for line in lines)
    assert len(open(out).read().splitlines()) == 2


def test_whole_data_and_in_memory_datasets(tmp_path, tiny_fmnist, capsys):
    from .tool_loader import load_tool
    verify = load_tool('misc/verify_dataset.py')
    data = image_folder(tmp_path / 'data')
    out = str(tmp_path / 'broken.txt')
    assert verify.main([
        folder_config(tmp_path, data), '--out-path', out, '--splits', 'train'
    ]) == []
    assert 'train: 6 images read, 0 could not be' in capsys.readouterr().out
    assert not osp.exists(out)
    assert verify.main([
        write_tiny_config(tmp_path / 'fm.py', tiny_fmnist), '--splits',
        'train', 'test'
    ]) == []
