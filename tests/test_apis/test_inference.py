"""The inference API: a file and its RGB array get the same prediction, in
the channel order the config's dataset gave the model in training, and the
classes come from the checkpoint."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch

from mmctune.apis import (ImageClassificationInferencer, inference_model,
                          init_model)
from mmctune.apis.inference import model_input_format, to_model_input
from ..conftest import ROOT


def write_rgb_config(tmp_path, dataset_base, extra=''):
    """The tiny ResNet with 3 input channels on a dataset base's test
    pipeline: channel-sensitive, so a colour swap changes its scores."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""
_base_ = [
    {osp.join(ROOT, 'configs/_base_/models/resnet18-tiny_fmnist.py')!r},
    {osp.join(ROOT, dataset_base)!r},
    {osp.join(ROOT, 'configs/_base_/default_runtime.py')!r},
]
model = dict(backbone=dict(in_channels=3))
{extra}
""")
    return str(cfg)


def coloured_image(h=40, w=48):
    rng = np.random.default_rng(0)
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = 255  # red, nothing else: a swap makes it blue
    img[:, :w // 2, 1] = rng.integers(0, 255, (h, w // 2))
    return img


def save_rgb(path, rgb):
    mmcv.imwrite(rgb[..., ::-1], str(path))  # OpenCV writes BGR
    return str(path)


@pytest.fixture
def cifar_model(tmp_path):
    torch.manual_seed(0)
    model, _ = init_model(
        write_rgb_config(tmp_path, 'configs/_base_/datasets/cifar10.py'))
    return model


def scores(inferencer, image):
    return inferencer([image])[0]['pred_scores']


def test_cifar_config_file_equals_its_rgb_array(cifar_model, tmp_path):
    inferencer = ImageClassificationInferencer(cifar_model)
    assert inferencer.input_format == 'rgb'  # CIFAR holds RGB arrays
    rgb = coloured_image()
    path = save_rgb(tmp_path / 'x.png', rgb)
    from_file, from_array = scores(inferencer, path), scores(inferencer, rgb)
    np.testing.assert_allclose(from_file, from_array, rtol=1e-5, atol=1e-6)
    # the scores do depend on the order: BGR given as RGB differs
    swapped = scores(inferencer, np.ascontiguousarray(rgb[..., ::-1]))
    assert np.abs(swapped - from_array).max() > 1e-4
    # and the array reaches the model as the CIFAR dataset gives its images
    from mmengine.dataset import Compose, default_collate
    from mmpretrain.registry import TRANSFORMS
    pipeline = Compose([
        TRANSFORMS.build(t)
        for t in cifar_model._config.test_dataloader.dataset.pipeline
    ])
    batch = default_collate([pipeline(dict(img=rgb))])
    with torch.no_grad():
        direct = cifar_model.test_step(batch)[0].pred_score.numpy()
    np.testing.assert_allclose(from_array, direct, rtol=1e-5, atol=1e-6)


def test_file_config_gets_bgr_and_same_prediction(tmp_path):
    cfg = write_rgb_config(
        tmp_path,
        'configs/_base_/datasets/image_classification.py',
        extra="data_preprocessor = dict(num_classes=10)\n"
        "test_dataloader = dict(dataset=dict(type='mmpretrain.CustomDataset',"
        " data_root='unused', classes=[str(i) for i in range(10)]))")
    torch.manual_seed(0)
    model, _ = init_model(cfg)
    inferencer = ImageClassificationInferencer(model)
    assert inferencer.input_format == 'bgr'  # LoadImageFromFile's order
    assert inferencer.classes == tuple(str(i) for i in range(10))
    rgb = coloured_image(64, 80)
    path = save_rgb(tmp_path / 'x.png', rgb)
    np.testing.assert_allclose(
        scores(inferencer, path),
        scores(inferencer, rgb),
        rtol=1e-5,
        atol=1e-6)
    # mmpretrain's inferencer reads the file the same way: same scores
    from mmpretrain.apis import ImageClassificationInferencer as Upstream
    np.testing.assert_allclose(
        Upstream(model)([path])[0]['pred_scores'],
        scores(inferencer, path),
        rtol=1e-5,
        atol=1e-6)


def test_classes_from_checkpoint_and_mmpretrain_inferencer(
        tiny_trained, tmp_path):
    cfg, _, ckpt = tiny_trained
    model, _ = init_model(cfg, ckpt)
    from mmpretrain.datasets import FashionMNIST
    assert tuple(model._dataset_meta['classes']) == tuple(
        FashionMNIST.METAINFO['classes'])
    grey = np.random.default_rng(1).integers(0, 255, (28, 28), np.uint8)
    ours = inference_model(model, grey)
    assert ours['pred_class'] == FashionMNIST.METAINFO['classes'][
        ours['pred_label']]
    # mmpretrain's inferencer accepts the model (its _config and classes)
    from mmpretrain.apis import ImageClassificationInferencer as Upstream
    theirs = Upstream(model)([grey])[0]
    assert theirs['pred_class'] == ours['pred_class']
    np.testing.assert_allclose(
        theirs['pred_scores'], ours['pred_scores'], rtol=1e-5, atol=1e-6)
    # a grey file gives what its array gives
    path = tmp_path / 'g.png'
    mmcv.imwrite(grey, str(path))
    np.testing.assert_allclose(
        inference_model(model, str(path))['pred_scores'],
        ours['pred_scores'],
        rtol=1e-5,
        atol=1e-6)
    # a config path and a checkpoint work as well
    again = inference_model(cfg, [grey], pretrained=ckpt)
    np.testing.assert_allclose(
        again[0]['pred_scores'], ours['pred_scores'], rtol=1e-5, atol=1e-6)


def test_input_format_rules(tmp_path):
    from mmengine.config import Config
    unknown = Config(
        dict(
            test_dataloader=dict(
                dataset=dict(
                    type='MyArrays', pipeline=[dict(type='PackInputs')]))))
    with pytest.raises(ValueError, match='input_format'):
        model_input_format(unknown)
    grey_files = Config(
        dict(
            test_dataloader=dict(
                dataset=dict(
                    type='CustomDataset',
                    pipeline=[
                        dict(type='LoadImageFromFile', color_type='grayscale')
                    ]))))
    assert model_input_format(grey_files) == 'grey'
    rgb = coloured_image(4, 4)
    assert (to_model_input(rgb, 'bgr') == rgb[..., ::-1]).all()
    assert to_model_input(rgb[..., 0], 'rgb').shape == (4, 4, 3)
    with pytest.raises(FileNotFoundError, match='no image file'):
        to_model_input(str(tmp_path / 'missing.png'), 'rgb')
    (tmp_path / 'bad.png').write_text('not an image')
    with pytest.raises(ValueError, match='could not be read'):
        to_model_input(str(tmp_path / 'bad.png'), 'rgb')
    with pytest.raises(ValueError, match='shape'):
        to_model_input(np.zeros((4, 4, 4), np.uint8), 'rgb')
