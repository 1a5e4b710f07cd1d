"""tools/visualization/browse_dataset.py: grids of a split's images as the
model gets them."""
import re

import cv2
import numpy as np
from PIL import Image

from ..conftest import write_tiny_config
from .tool_loader import load_tool


def test_browse_dataset_writes_grids_after_the_pipeline(
        tmp_path, capsys, tiny_fmnist):
    browse = load_tool('visualization/browse_dataset.py')
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_fmnist)
    out = tmp_path / 'browse'
    # the command of docs/get_started.md, CONFIG being the tiny config
    cells, files = browse.main(
        [cfg, '--phase', 'train', '-n', '32', '-o',
         str(out)])
    assert files == [str(out / 'train_0.png')]  # one grid of 4 x 8
    assert capsys.readouterr().out.strip() == (
        f'32 images of the train split (after the pipeline) in {files[0]}')
    with Image.open(files[0]) as img:
        assert min(img.size) > 200
    assert len(cells) == 32
    # grey 28x28 images (RandomCrop 28 with padding 2), each with its class
    classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
               'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
    for i, (picture, caption) in enumerate(cells):
        assert picture.shape == (28, 28) and picture.dtype == np.uint8
        index, name = re.match(r'(\d+): (.+)$', caption).groups()
        assert int(index) == i and name in classes
    # as read: the dataset's own images; concat: both, side by side
    cells, files = browse.main([
        cfg, '-n', '20', '--rows', '2', '--mode', 'concat', '-o',
        str(out / 'concat')
    ])
    assert len(cells) == 40 and len(files) == 3  # 16 per grid
    from mmengine.config import Config

    from mmctune.registry import DATASETS
    dataset = DATASETS.build(
        dict(Config.fromfile(cfg).train_dataloader.dataset, pipeline=[]))
    for i in range(20):
        raw = np.asarray(dataset.get_data_info(i)['img'])
        assert np.array_equal(cells[2 * i][0], raw)
        assert cells[2 * i][1].endswith(', as read')
        # the crop of a padded copy keeps the pixels it does not pad
        assert cells[2 * i + 1][0].shape == raw.shape


def test_browse_dataset_shows_files_in_rgb(tmp_path):
    """Files are read BGR and the data preprocessor swaps them to RGB: the
    grid shows what the model gets, so a red image stays red."""
    browse = load_tool('visualization/browse_dataset.py')
    for cls, rgb in (('red', (255, 0, 0)), ('blue', (0, 0, 255))):
        folder = tmp_path / 'imgs' / cls
        folder.mkdir(parents=True)
        Image.new('RGB', (12, 10), rgb).save(folder / 'a.png')
    for to_rgb in (True, False):
        cfg = tmp_path / f'files_{to_rgb}.py'
        cfg.write_text(f"""
model = dict(data_preprocessor=dict(
    type='mmpretrain.ClsDataPreprocessor', to_rgb={to_rgb}))
train_dataloader = dict(dataset=dict(
    type='mmpretrain.CustomDataset', data_root={str(tmp_path / 'imgs')!r},
    pipeline=[dict(type='LoadImageFromFile'),
              dict(type='mmpretrain.PackInputs')]))
""")
        cells, _ = browse.main([str(cfg), '-o', str(tmp_path / 'out')])
        pictures = {caption.split(': ')[1]: p for p, caption in cells}
        assert pictures['red'].shape == (10, 12, 3)
        # what the model sees, in RGB: the files' colours with to_rgb,
        # swapped without it (a model that takes BGR)
        red = (255, 0, 0) if to_rgb else (0, 0, 255)
        assert tuple(pictures['red'][0, 0]) == red
        assert tuple(pictures['blue'][0, 0]) == red[::-1]
    # (cv2 reads the red file as BGR (0, 0, 255): the swap is needed)
    bgr = cv2.imread(str(tmp_path / 'imgs' / 'red' / 'a.png'))
    assert tuple(bgr[0, 0]) == (0, 0, 255)
