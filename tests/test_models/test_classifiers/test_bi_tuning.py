"""Bi-tuning: its two contrastive terms equal a per-sample loop (tllib's
way), the queues hold only their class's keys, the key encoder follows the
query encoder with momentum and stays off the optimizer."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from ...conftest import tiny_classifier


def tiny(**kwargs):
    cfg = dict(
        projector=dict(
            type='MLPProjector', in_channels=32, out_channels=8, num_layers=1),
        queue_size=4,
        temperature=0.5)
    cfg.update(kwargs)
    return tiny_classifier('BiTuningClassifier', **cfg)


def views(labels, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = len(labels)
    x = [torch.randn(n, 1, 8, 8, generator=g) for _ in range(2)]
    return x, [DataSample().set_gt_label(int(c)) for c in labels]


def keys(model, x):
    feats = model.key_neck(model.key_backbone(x))
    h = model.head.pre_logits(feats)
    hn = F.normalize(torch.cat([h, torch.ones(len(h), 1)], 1), dim=1)
    return hn, F.normalize(model.key_projector(h), dim=1)


def test_losses_equal_a_loop_over_samples():
    model = tiny(momentum=1.0)  # keys from the initial copy
    labels = torch.tensor([0, 1, 2, 1, 0])
    (xq, xk), samples = views(labels)
    qz, qh = model.queue_z.clone(), model.queue_h.clone()
    hk, zk = keys(model, xk)
    losses = model.loss([xq, xk], samples)

    h = model.head.pre_logits(model.extract_feat(xq))
    z = F.normalize(model.projector(h), dim=1)
    hn = F.normalize(torch.cat([h, torch.ones(len(h), 1)], 1), dim=1)
    fc = model.head.fc
    w = F.normalize(torch.cat([fc.weight, fc.bias[:, None]], 1), dim=1)
    k, t = 4, 0.5
    loss_z = loss_y = 0.0
    for i, c in enumerate(labels.tolist()):
        others = [o for o in range(3) if o != c]
        lz = [z[i] @ zk[i]] + [z[i] @ qz[c, j] for j in range(k)] + [
            z[i] @ qz[o, j] for o in others for j in range(k)
        ]
        ly = [hn[i] @ w[c]] + [qh[c, j] @ w[c] for j in range(k)] + [
            qh[o, j] @ w[c] for o in others for j in range(k)
        ]
        for logits, acc in ((lz, 'z'), (ly, 'y')):
            log_p = F.log_softmax(torch.stack(logits) / t, dim=0)
            term = -log_p[:k + 1].mean()
            if acc == 'z':
                loss_z = loss_z + term
            else:
                loss_y = loss_y + term
    assert losses['loss_con_z'].item() == pytest.approx(
        loss_z.item() / 5, rel=1e-5)
    assert losses['loss_con_y'].item() == pytest.approx(
        loss_y.item() / 5, rel=1e-5)
    assert 'loss_ce' in losses  # the classifier's cross-entropy


def test_queues_hold_only_their_class():
    model = tiny(momentum=1.0)
    seen = {c: [] for c in range(3)}
    for step, labels in enumerate([[0, 1, 0, 0], [2, 0, 0, 1], [0, 0, 0, 2]]):
        labels = torch.tensor(labels)
        (xq, xk), samples = views(labels, seed=step)
        hk, zk = keys(model, xk)
        model.loss([xq, xk], samples)
        for i, c in enumerate(labels.tolist()):
            seen[c].append(zk[i])
    for c in range(3):
        # the newest K keys of class c, in ring order from the pointer
        newest = torch.stack(seen[c][-4:])
        queue = model.queue_z[c]
        n = len(newest)
        ptr = int(model.queue_ptr[c])
        slots = [(ptr - n + j) % 4 for j in range(n)]
        torch.testing.assert_close(queue[slots], newest)
        # and no key of another class is anywhere in its queue
        for o in range(3):
            if o != c:
                for key in seen[o]:
                    assert not torch.isclose(queue, key).all(dim=1).any()
    assert int(model.queue_ptr[0]) == 8 % 4  # 8 keys of class 0 went in
    assert int(model.queue_ptr[1]) == 2 and int(model.queue_ptr[2]) == 2


def test_key_encoder_follows_with_momentum_and_is_off_the_optimizer():
    model = tiny(momentum=0.9)
    params = {id(p) for p in model.parameters()}
    assert all(id(b) not in params for b in model.key_backbone.buffers())
    with torch.no_grad():
        model.backbone.conv1.weight.add_(1.0)
    before = model.key_backbone.conv1.weight.clone()
    labels = torch.tensor([0, 1, 2])
    (xq, xk), samples = views(labels)
    model.loss([xq, xk], samples)
    expected = 0.9 * before + 0.1 * model.backbone.conv1.weight
    torch.testing.assert_close(model.key_backbone.conv1.weight, expected)
    model.train()  # the keys' BN uses batch statistics, as in tllib
    assert model.key_backbone.training
    model.eval()
    assert not model.key_backbone.training


def test_one_view_is_an_error_and_predict_takes_one():
    model = tiny()
    (xq, _), samples = views(torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='MultiView'):
        model.loss(xq, samples)
    model.eval()
    out = model.predict(xq)
    assert len(out) == 2 and 'pred_label' in out[0]
