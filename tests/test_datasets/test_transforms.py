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


@pytest.mark.parametrize('policy', ['cifar10', 'imagenet'])
def test_torchvision_autoaugment_is_torchvisions(policy):
    """TorchvisionAutoAugment (the TCL supplement's AutoAugment, configs/
    _base_/datasets/cifar10_32px_contrastive.py) applies torchvision's
    AutoAugment with the named policy, drawing from torch's generator: the
    same seed gives torchvision's output on the same image, and a BGR array
    is augmented as its RGB version."""
    import torch
    from torchvision.transforms import AutoAugment, AutoAugmentPolicy
    aug = TRANSFORMS.build(dict(type='TorchvisionAutoAugment', policy=policy))
    bgr = TRANSFORMS.build(
        dict(
            type='TorchvisionAutoAugment', policy=policy, channel_order='bgr'))
    ref = AutoAugment(AutoAugmentPolicy(policy))
    rng = np.random.default_rng(0)
    changed = 0
    for seed in range(20):
        img = rng.integers(0, 256, (32, 32, 3), np.uint8)
        torch.manual_seed(seed)
        out = aug(dict(img=img.copy()))['img']
        torch.manual_seed(seed)
        expected = np.asarray(ref(Image.fromarray(img)))
        np.testing.assert_array_equal(out, expected)
        assert out.dtype == np.uint8 and out.flags.writeable
        torch.manual_seed(seed)
        out_bgr = bgr(dict(img=img[..., ::-1].copy()))['img']
        np.testing.assert_array_equal(out_bgr, expected[..., ::-1])
        changed += not np.array_equal(out, img)
    assert changed > 10  # it augments
    with pytest.raises(ValueError):
        TRANSFORMS.build(dict(type='TorchvisionAutoAugment', policy='mnist'))
