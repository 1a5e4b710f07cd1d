"""LoadImageFromFile (mmcv's, in the mmctune scope) names the image it
cannot read."""
import numpy as np
import pytest
from PIL import Image

from mmctune.registry import TRANSFORMS
from mmctune.utils import register_all_modules

register_all_modules()


def test_unreadable_images_are_named(tmp_path):
    load = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    good = str(tmp_path / 'good.png')
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(good)
    assert load(dict(img_path=good))['img'].shape == (4, 5, 3)
    for name, data in [('empty.jpg', b''), ('text.jpg', b'not an image')]:
        path = str(tmp_path / name)
        with open(path, 'wb') as f:
            f.write(data)
        with pytest.raises(OSError, match=f'cannot read the image {path}'):
            load(dict(img_path=path))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load(dict(img_path=str(tmp_path / 'missing.png')))
    # ignore_empty still skips them
    skip = TRANSFORMS.build(dict(type='LoadImageFromFile', ignore_empty=True))
    assert skip(dict(img_path=str(tmp_path / 'missing.png'))) is None
