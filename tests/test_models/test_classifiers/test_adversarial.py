"""Adversarial training: the loss is the head's loss on the clean batch
followed by its adversarial images, for a CE head and for Core-tuning's
head (the adversarial samples are in the contrastive term and the mining);
the attack's forward passes do not touch BN's running statistics."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmctune.models.utils import PGDAttack
from ...conftest import tiny_classifier

ATTACK = dict(
    type='PGDAttack', norm='linf', eps=8 / 255, steps=3, random_start=False)
CORE_HEAD = dict(
    type='FeatureRegularizedClsHead',
    projector=dict(
        type='MLPProjector', in_channels=32, hid_channels=16, out_channels=8),
    con_loss=dict(type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
    # seeded: the model and its reference copy draw the same mixing
    miner=dict(type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8, seed=0))


def batch(n=6):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 12, 12, generator=g)
    return x, [DataSample().set_gt_label(i % 3) for i in range(n)]


@pytest.mark.parametrize('head', [None, CORE_HEAD], ids=['ce', 'core'])
def test_loss_is_the_heads_on_clean_plus_adversarial(head):
    model = tiny_classifier(
        'AdversarialClassifier', head=head, attack=ATTACK).train()
    x, samples = batch()
    labels = torch.tensor([s.gt_label.item() for s in samples])
    adv = PGDAttack(**{
        k: v
        for k, v in ATTACK.items() if k != 'type'
    })(model, x, labels)
    assert not torch.equal(adv, x)
    reference = tiny_classifier(
        head=head,
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor')).train()
    reference.load_state_dict(model.state_dict())
    expected = reference.head.loss(
        reference.extract_feat(torch.cat([x, adv])), samples + samples)
    losses = model.loss(x, samples)
    assert losses.keys() == expected.keys()
    if head is not None:
        assert 'loss_con' in losses
    for k in losses:
        torch.testing.assert_close(losses[k], expected[k])


def test_one_running_statistics_update_per_step():
    model = tiny_classifier('AdversarialClassifier', attack=ATTACK).train()
    bn = model.backbone.bn1
    x, samples = batch()
    mean = bn.running_mean.clone()
    model.loss(x, samples)
    assert bn.num_batches_tracked.item() == 1  # the joint batch only
    # and it is the joint batch's: one BN forward of clean + adversarial
    # images in a same-seeded copy gives the same statistics
    twin = tiny_classifier('AdversarialClassifier', attack=ATTACK).train()
    adv = twin.attack(twin, x, torch.arange(6) % 3)
    twin.backbone.bn1(twin.backbone.conv1(torch.cat([x, adv])))
    torch.testing.assert_close(bn.running_mean, twin.backbone.bn1.running_mean)
    torch.testing.assert_close(bn.running_var, twin.backbone.bn1.running_var)
    assert not torch.equal(bn.running_mean, mean)


def test_gradients_reach_every_trained_parameter():
    model = tiny_classifier(
        'AdversarialClassifier', head=CORE_HEAD, attack=ATTACK).train()
    x, samples = batch()
    losses = model.loss(x, samples)
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing
