"""The segmentation regulariser: image labels from masks (dominant class,
background-only and ignore-only images), and a forward/backward of the whole
DeepLabV3 segmentor with it on CPU (SyncBN in the config), where its loss
reaches the backbone and equals the classification head's contrastive term
on the pooled features."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmctune.models.heads import image_labels, project_and_contrast
from mmctune.models.losses import FocalSupConLoss
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from ...conftest import ROOT

IGNORE = 255


def mask(*counts, size=(4, 5)):
    """A mask with ``counts`` = [(class, pixels), ...], the rest ignore."""
    m = torch.full(size, IGNORE, dtype=torch.long).view(-1)
    i = 0
    for c, k in counts:
        m[i:i + k] = c
        i += k
    return m.view(1, *size)


def test_dominant_non_background_class():
    masks = [
        mask((0, 15), (3, 3), (2, 2)),  # background most, then class 3
        mask((1, 4), (2, 4)),  # tie: the lower class
        mask((4, 1)),  # one pixel, the rest ignore
    ]
    assert image_labels(masks, 5).tolist() == [3, 1, 4]
    # background as a class like the others
    assert image_labels(masks, 5, background_index=None).tolist() == [0, 1, 4]


def test_background_only_and_ignore_only_images():
    masks = [mask((0, 20)), mask((0, 3)), mask()]
    assert image_labels(masks, 3).tolist() == [-1, -1, -1]
    assert image_labels(
        masks, 3, background_only='label').tolist() == [0, 0, -1]
    with pytest.raises(ValueError, match='background_only'):
        image_labels(masks, 3, background_only='drop')


def test_min_fraction_and_out_of_range():
    m = [mask((1, 5), (2, 4), (3, 3))]  # class 1 has 5 of 12
    assert image_labels(m, 4, min_fraction=0.4).tolist() == [1]
    assert image_labels(m, 4, min_fraction=0.5).tolist() == [-1]
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        image_labels([mask((3, 2))], 3)


def seg_model():
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/seg/deeplabv3_r18-tiny_coretune_stardist.py'))
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'
    cfg.model.auxiliary_head[1].miner.seed = 0
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.train()


def seg_batch(n=6, size=32):
    g = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        m = torch.zeros(1, size, size, dtype=torch.long)
        if i % 3:  # a nucleus square in two of three images
            m[:, 4:20, 4:20] = 1
        s = SegDataSample(gt_sem_seg=PixelData(data=m))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size)))
        samples.append(s)
    inputs = [
        torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
        for _ in range(n)
    ]
    return dict(inputs=inputs, data_samples=samples)


def test_segmentor_forward_backward_with_the_regulariser():
    model = seg_model()
    data = model.data_preprocessor(seg_batch(), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode.loss_ce', 'aux_0.loss_ce', 'aux_1.loss_con'} <= set(losses)
    con = losses['aux_1.loss_con']
    assert torch.isfinite(con) and con > 0
    # the contrastive loss alone reaches the backbone's last stage
    con.backward()
    grads = [
        p.grad.abs().sum() for p in model.backbone.layer4.parameters()
        if p.grad is not None
    ]
    assert grads and sum(grads) > 0
    assert model.decode_head.conv_seg.weight.grad is None


def test_regulariser_equals_the_classification_term():
    model = seg_model()
    head = model.auxiliary_head[1]
    data = model.data_preprocessor(seg_batch(), True)
    feats = model.extract_feat(data['inputs'])
    loss = head.loss(feats, data['data_samples'])['loss_con']
    # by hand: pooled features, labels nucleus / background, same miner
    z = feats[3].mean(dim=(2, 3))
    y = torch.nn.functional.one_hot(torch.tensor([0, 1, 1, 0, 1, 1]), 2)
    miner = MODELS.build(
        dict(type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8, seed=0))
    pos, _, neg, _ = miner(z, y)
    # eta = 0.1 is the loss's loss_weight, applied once
    assert head.con_loss.loss_weight == 0.1
    unit = FocalSupConLoss(temperature=0.07)
    expected = 0.1 * project_and_contrast(head.projector, unit, z, y, pos, neg)
    torch.testing.assert_close(loss, expected)


def test_no_pairs_gives_a_zero_with_gradient_paths():
    model = seg_model()
    head = model.auxiliary_head[1]
    head.background_only = 'ignore'
    batch = seg_batch(n=3)
    for s in batch['data_samples']:
        s.gt_sem_seg.data.zero_()  # background only: no labelled image
    data = model.data_preprocessor(batch, True)
    loss = head.loss(model.extract_feat(data['inputs']),
                     data['data_samples'])['loss_con']
    assert loss.item() == 0
    loss.backward()
    assert all(p.grad is not None for p in head.projector.parameters())


def test_bad_arguments():
    # a typo is named with what was meant
    with pytest.raises(
            TypeError,
            match='unexpected argument `con_los`; did you '
            'mean con_loss'):
        MODELS.build(
            dict(
                type='ContrastiveSegHead',
                in_channels=8,
                num_classes=2,
                con_los=dict(type='SupConLoss')))
    with pytest.raises(ValueError, match='background_index'):
        MODELS.build(
            dict(
                type='ContrastiveSegHead',
                in_channels=8,
                num_classes=2,
                background_index=2))
    with pytest.raises(ValueError, match='background_only'):
        MODELS.build(
            dict(
                type='ContrastiveSegHead',
                in_channels=8,
                num_classes=2,
                background_only='keep'))
