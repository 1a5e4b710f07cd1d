"""Every contrastive loss, the pair miners and the whole Core-tuning /
SCL / COIN / TCL heads and Bi-tuning stay finite, in value and gradient, on
degenerate batches: an anchor without a positive, one class only, a batch of
1 or 2, duplicate or zero features, temperature 0.01, and under bf16
autocast on the CPU."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from ...conftest import tiny_classifier

register_all_modules()

D = 16
# name -> (batch size, labels, feature kind)
BATCHES = {
    'no_positive': ([0, 1, 2, 2], 'random'),
    'one_class': ([1, 1, 1, 1], 'random'),
    'batch_1': ([2], 'random'),
    'batch_2_two_classes': ([0, 1], 'random'),
    'batch_2_one_class': ([0, 0], 'random'),
    'duplicate_features': ([0, 1, 0, 1], 'duplicate'),
    'zero_features': ([0, 1, 2, 0], 'zero'),
}


def features(kind, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, D, generator=g)
    if kind == 'duplicate':
        z = z[:1].expand(n, D).clone()
    elif kind == 'zero':
        z = torch.zeros(n, D)
    return z.requires_grad_()


LOSSES = {
    'SupConLoss':
    dict(type='SupConLoss', temperature=0.01),
    'SupConLoss_generated':
    dict(type='SupConLoss', temperature=0.01, positives='generated'),
    'FocalSupConLoss':
    dict(type='FocalSupConLoss', temperature=0.01),
    'TCLLoss':
    dict(type='TCLLoss', temperature=0.01),
}
MINERS = {
    'HardnessDirectedMixup': dict(type='HardnessDirectedMixup', seed=0),
    'ManifoldMixup': dict(type='ManifoldMixup', seed=0),
}


def assert_finite(loss, *inputs):
    assert torch.isfinite(loss).all(), loss
    grads = torch.autograd.grad(
        loss, inputs, allow_unused=True, retain_graph=True)
    for g in grads:
        assert g is None or torch.isfinite(g).all()


@pytest.mark.parametrize('batch', sorted(BATCHES))
@pytest.mark.parametrize('loss_name', sorted(LOSSES))
@pytest.mark.parametrize('miner_name', [None, *sorted(MINERS)])
def test_contrastive_losses_and_miners_stay_finite(loss_name, miner_name,
                                                   batch):
    labels, kind = BATCHES[batch]
    z = features(kind, len(labels))
    y = F.one_hot(torch.tensor(labels), 3).float()
    pos = neg = None
    if miner_name:
        pos, pos_y, neg, neg_y = MODELS.build(MINERS[miner_name])(z, y)
        for t in (pos, pos_y, neg, neg_y):
            assert t is None or torch.isfinite(t).all()
    loss = MODELS.build(LOSSES[loss_name])
    v = [None if t is None else F.normalize(t, dim=1) for t in (z, pos, neg)]
    assert_finite(loss(v[0], y, v[1], v[2]), z)


def test_hard_pairs_of_a_batch_without_negatives():
    # one class only: no negative to mix with; any generated negative must
    # still be a finite feature with a valid soft label
    z = features('random', 4)
    y = F.one_hot(torch.zeros(4, dtype=torch.long), 3).float()
    pos, pos_y, neg, neg_y = MODELS.build(MINERS['HardnessDirectedMixup'])(z,
                                                                           y)
    for t, ty in ((pos, pos_y), (neg, neg_y)):
        if t is not None:
            assert torch.isfinite(t).all()
            torch.testing.assert_close(ty.sum(1), torch.ones(len(ty)))


HEADS = {
    'core':
    dict(
        con_loss=dict(type='FocalSupConLoss', temperature=0.01),
        miner=dict(type='HardnessDirectedMixup', seed=0),
        feature_losses=[dict(type='BSSLoss'),
                        dict(type='TripletLoss')]),
    'scl':
    dict(con_loss=dict(type='SupConLoss', temperature=0.01)),
    'coin_stage1':
    dict(
        con_loss=dict(type='SupConLoss', temperature=0.01),
        train_classifier=False),
    'tcl':
    dict(con_loss=dict(type='TCLLoss', temperature=0.01)),
}


def head_losses(head_name, labels, z, autocast):
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='FeatureRegularizedClsHead',
            num_classes=3,
            in_channels=D,
            projector=dict(
                type='MLPProjector',
                in_channels=D,
                hid_channels=D,
                out_channels=8),
            loss=dict(type='mmpretrain.CrossEntropyLoss'),
            **HEADS[head_name]))
    head.init_weights()
    samples = [DataSample().set_gt_label(c) for c in labels]
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        return head, head.loss((z, ), samples)


@pytest.mark.parametrize('autocast', [False, True], ids=['fp32', 'bf16'])
@pytest.mark.parametrize('batch', sorted(BATCHES))
@pytest.mark.parametrize('head_name', sorted(HEADS))
def test_heads_stay_finite(head_name, batch, autocast):
    labels, kind = BATCHES[batch]
    z = features(kind, len(labels))
    head, losses = head_losses(head_name, labels, z, autocast)
    assert losses
    total = sum(losses.values())
    assert_finite(total, z, *head.parameters())


@pytest.mark.parametrize('autocast', [False, True], ids=['fp32', 'bf16'])
# (batch 2: a batch of 1 is refused by the backbone's BatchNorm in training)
@pytest.mark.parametrize('labels', [[0, 0], [2, 2, 2], [0, 1, 2, 2]])
def test_bi_tuning_stays_finite(labels, autocast):
    model = tiny_classifier(
        'BiTuningClassifier',
        projector=dict(
            type='MLPProjector', in_channels=32, out_channels=8, num_layers=1),
        queue_size=4,
        temperature=0.01)
    model.train()
    g = torch.Generator().manual_seed(0)
    x = [torch.randn(len(labels), 1, 8, 8, generator=g) for _ in range(2)]
    samples = [DataSample().set_gt_label(c) for c in labels]
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        losses = model.loss(x, samples)
    total = sum(losses.values())
    params = [p for p in model.parameters() if p.requires_grad]
    assert_finite(total, *params)
