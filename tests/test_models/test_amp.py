"""Mixed precision through the training path, on the CPU, so that a GPU
run does not meet it first."""
import pytest
import torch

from mmctune.models.utils import PGDAttack
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules

BF16 = torch.bfloat16
PROJECTOR = dict(
    type='MLPProjector', in_channels=32, hid_channels=16, out_channels=8)


def tiny(type='mmpretrain.ImageClassifier', head=None, **kwargs):
    """A classifier ``type`` around a tiny ResNet-18 (CIFAR stem, 4 base
    channels, 3-channel input so that channels-last is a layout of its own,
    32-d features) with a 3-class ``FeatureRegularizedClsHead`` (``head``:
    its terms), seeded and initialised."""
    register_all_modules()
    torch.manual_seed(0)
    head_cfg = dict(
        type='FeatureRegularizedClsHead',
        num_classes=3,
        in_channels=32,
        loss=dict(type='mmpretrain.CrossEntropyLoss'))
    if head:
        head_cfg.update(head)
        if 'con_loss' in head:
            head_cfg['projector'] = PROJECTOR
    model = MODELS.build(
        dict(
            type=type,
            backbone=dict(
                type='mmpretrain.ResNet_CIFAR',
                depth=18,
                in_channels=3,
                stem_channels=4,
                base_channels=4,
                out_indices=(3, )),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=head_cfg,
            **kwargs))
    model.init_weights()
    return model.train()


@pytest.mark.parametrize('dtype', [BF16, torch.float16])
def test_pgd_steps_under_autocast_follow_the_fp32_gradient(dtype):
    """PGD's steps under autocast go where the fp32 gradient points: the
    sign of each pixel's step (l-inf) agrees with fp32's on at least 99% of
    the pixels fp32 moves, at a batch of 512. fp16 holds no magnitude below
    6e-8: the gradient of a batch-*mean* cross-entropy shrinks with the batch
    (each image's share is 1/N) and underflows to 0 in the fp16 backward
    (at this batch, 5% of the steps were lost or flipped); the attack
    differentiates the *sum*, whose per-image gradient does not depend on
    the batch, for the same steps in exact arithmetic."""
    model = tiny(data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', mean=[128.] * 3,
        std=[64.] * 3)).eval()
    g = torch.Generator().manual_seed(0)
    n = 512
    x = (torch.rand(n, 3, 16, 16, generator=g) * 255 - 128) / 64
    labels = torch.arange(n) % 3
    eps = 4 / 255
    attack = PGDAttack('linf', eps, steps=1, step_size=eps,
                       random_start=False)
    ref = torch.sign(attack(model, x, labels) - x)
    with torch.autocast('cpu', dtype=dtype):
        adv = attack(model, x, labels)
    assert adv.dtype == x.dtype  # the images stay fp32
    moved = ref != 0
    assert moved.float().mean() > 0.05
    agree = (torch.sign(adv - x) == ref)[moved].float().mean()
    assert agree >= 0.99, f'{agree:.4f}'
