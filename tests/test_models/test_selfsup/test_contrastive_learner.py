"""ContrastiveLearner: with SupConLoss and instance positives it is SimCLR
(mmpretrain's loss, same weights and views); with class positives, SupCon
computed by a loop; TCL's loss swaps in."""
import math

import pytest
import torch
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from mmctune.utils import register_all_modules

register_all_modules()

BACKBONE = dict(
    type='mmpretrain.ResNet_CIFAR',
    depth=18,
    in_channels=1,
    stem_channels=8,
    base_channels=8,
    out_indices=(3, ))
NECK = dict(
    type='mmpretrain.NonLinearNeck',
    in_channels=64,
    hid_channels=32,
    out_channels=16,
    num_layers=2,
    with_avg_pool=True)
PRE = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[0.],
    std=[1.],
    to_rgb=False)


def build(loss, positives='instance'):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ContrastiveLearner',
            backbone=BACKBONE,
            neck=NECK,
            loss=loss,
            positives=positives,
            data_preprocessor=PRE))


def views(n=6):
    g = torch.Generator().manual_seed(1)
    return [torch.randn(n, 1, 16, 16, generator=g) for _ in range(2)]


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_instance_positives_with_supcon_equal_simclr():
    tau = 0.2
    ours = build(dict(type='SupConLoss', temperature=tau))
    torch.manual_seed(0)
    simclr = MODELS.build(
        dict(
            type='mmpretrain.SimCLR',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(
                type='mmpretrain.ContrastiveHead',
                loss=dict(type='mmpretrain.CrossEntropyLoss'),
                temperature=tau),
            data_preprocessor=PRE))
    simclr.load_state_dict(ours.state_dict(), strict=False)
    ours.eval(), simclr.eval()  # BN with running stats: batch order free
    x = views()
    data = samples(range(6))
    torch.testing.assert_close(
        ours.loss(x, data)['loss_con'],
        simclr.loss(x, data)['loss'])


def supcon_loop(v, y, tau):
    """SupCon (Khosla et al., Eq. 2) anchor by anchor."""
    total = 0.
    for i in range(len(v)):
        others = [a for a in range(len(v)) if a != i]
        pos = [p for p in others if y[p] == y[i]]
        denom = sum(math.exp(float(v[i] @ v[a]) / tau) for a in others)
        total += -sum(
            math.log(math.exp(float(v[i] @ v[p]) / tau) / denom)
            for p in pos) / len(pos)
    return total / len(v)


def test_class_positives_are_supcon():
    tau = 0.1
    model = build(dict(type='SupConLoss', temperature=tau), 'class').eval()
    x, labels = views(), [0, 1, 0, 2, 1, 0]
    loss = model.loss(x, samples(labels))['loss_con']
    with torch.no_grad():
        z = model.neck(model.backbone(torch.cat(x)))[0]
        v = torch.nn.functional.normalize(z, dim=1)
    assert loss.item() == pytest.approx(
        supcon_loop(v, labels * 2, tau), rel=1e-5)
    # instance positives give another loss on the same views
    inst = build(dict(type='SupConLoss', temperature=tau)).eval()
    assert inst.loss(x, samples(labels))['loss_con'].item() != \
        pytest.approx(loss.item(), rel=1e-3)


def test_tcl_loss_trains_and_bad_input_is_named():
    model = build(dict(type='TCLLoss', temperature=0.5, k1=1.0, k2=1.5))
    loss = model.loss(views(), samples(range(6)))['loss_con']
    loss.backward()
    assert torch.isfinite(loss)
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='two views'):
        model.loss([views()[0]], samples(range(6)))
    with pytest.raises(ValueError, match="'instance'"):
        build(dict(type='SupConLoss'), positives='labels')
