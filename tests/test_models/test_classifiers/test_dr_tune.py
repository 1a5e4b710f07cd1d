"""DR-Tune: the semantic calibration against a loop of the official code's
steps in float64 (NumPy), the loss against the official forward (one
cross-entropy over the batch and the calibrated queue), the queues, and the
warm-up hook."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from mmctune.engine.hooks import DRTuneQueueHook
from mmctune.models.classifiers.dr_tune import (rotation_align,
                                                semantic_calibration)
from ...conftest import tiny_classifier


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def official_calibration(pre, down, labels, prototypes, scale, rotate):
    """weeknan/DR-Tune model.py's semantic_calibration and rot_align, step
    by step in NumPy float64, the class loop and the softmax written out."""
    p, d = unit(pre), unit(down)
    if rotate:
        x, y = p.T, d.T  # (D, N)
        x = x - x.mean(1, keepdims=True)
        y = y - y.mean(1, keepdims=True)
        u, _, vt = np.linalg.svd(x @ y.T)
        v = vt.T.copy()
        v[:, -1] *= np.linalg.det(v @ u.T)
        r = v @ u.T
        t = (y - r @ x).mean(1, keepdims=True)
        p = (r @ x + t).T  # the official code's: centred, then t
    out = p.copy()
    for c in range(len(prototypes)):
        idx = [i for i in range(len(labels)) if labels[i] == c]
        if not idx:
            continue
        centre = sum(p[i] for i in idx) / len(idx)
        w = prototypes[c] / np.linalg.norm(prototypes[c])
        scores = [float(d[i] @ w) for i in idx]
        top = max(scores)
        e = [np.exp(s - top) for s in scores]
        down_centre = sum(ei / sum(e) * d[i] for ei, i in zip(e, idx))
        for i in idx:
            out[i] = p[i] + down_centre - centre
    return unit(out) * scale


def queues(k=24, dim=6, classes=4, seed=0):
    g = np.random.default_rng(seed)
    pre = g.normal(size=(k, dim))
    down = pre + 0.3 * g.normal(size=(k, dim))
    labels = g.integers(0, classes - 1, size=k)  # class 3 absent
    labels[0] = 2
    labels[labels == 2] = 1
    labels[0] = 2  # class 2: one image
    prototypes = g.normal(size=(classes, dim))
    return pre, down, labels, prototypes


@pytest.mark.parametrize('rotate', [False, True])
def test_calibration_equals_the_official_steps(rotate):
    pre, down, labels, prototypes = queues()
    want = official_calibration(pre, down, labels, prototypes, 2.5, rotate)
    got = semantic_calibration(*(torch.from_numpy(a) for a in (pre, down)),
                               torch.from_numpy(labels),
                               torch.from_numpy(prototypes),
                               torch.tensor(2.5, dtype=torch.float64), rotate)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    # the rotation changes the result: the test covers it
    other = official_calibration(pre, down, labels, prototypes, 2.5,
                                 not rotate)
    assert np.abs(other - want).max() > 1e-3


def test_rotation_align_recovers_a_rotation_and_a_shift():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 5, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))
    if torch.det(q) < 0:  # a rotation, not a reflection
        q[:, 0] = -q[:, 0]
    y = x @ q.T + torch.arange(5, dtype=torch.float64)
    torch.testing.assert_close(rotation_align(x, y), y)
    # a mirrored target: the best rotation, never a reflection
    mirrored = y * torch.tensor([-1.0, 1, 1, 1, 1], dtype=torch.float64)
    moved = rotation_align(x, mirrored)
    xc = x - x.mean(0)
    rot = torch.linalg.lstsq(xc, moved - moved.mean(0)).solution.T
    torch.testing.assert_close(rot @ rot.T, torch.eye(5, dtype=rot.dtype))
    assert torch.det(rot) > 0


def tiny(**kwargs):
    cfg = dict(
        queue_size=10,
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    cfg.update(kwargs)
    return tiny_classifier('DRTuneClassifier', **cfg).double()


def batch(labels, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(labels), 1, 8, 8, generator=g, dtype=torch.float64)
    return x, [DataSample().set_gt_label(int(c)) for c in labels]


def filled(model, seed=3):
    g = torch.Generator().manual_seed(seed)
    k = model.queue_size
    model.pre_queue.copy_(torch.randn(k, 32, generator=g))
    model.down_queue.copy_(torch.randn(k, 32, generator=g))
    model.label_queue.copy_(torch.randint(0, 3, (k, ), generator=g))
    model.queue_ready.fill_(True)
    return model


@pytest.mark.parametrize('steps', [0, 3])
def test_loss_is_the_official_single_cross_entropy(steps):
    """The official forward: logits of [h; calibrated queue], one
    cross-entropy over the B + K rows; the batch then enqueued."""
    model = filled(tiny())
    model.steps.fill_(steps)
    labels = torch.tensor([0, 1, 2, 1])
    x, samples = batch(labels)
    h = model.head.pre_logits(model.extract_feat(x))
    pre0, down0, lab0 = (
        t.clone()
        for t in (model.pre_queue, model.down_queue, model.label_queue))
    cal = official_calibration(pre0.numpy(), down0.numpy(), lab0.numpy(),
                               model.head.fc.weight.detach().numpy(),
                               float(h.norm(dim=1).mean()), steps % 10 == 0)
    logits = model.head.fc(torch.cat([h, torch.from_numpy(cal)]))
    want = F.cross_entropy(logits, torch.cat([labels, lab0]))
    losses = model.loss(x, samples)
    torch.testing.assert_close(losses['loss_ce'] + losses['loss_dr'], want)
    # the batch entered the queues at the pointer: pre-trained features
    # from the frozen copy, downstream ones from the fine-tuned encoder
    ref = model.pretrained_features(x)
    torch.testing.assert_close(model.pre_queue[:4], ref)
    torch.testing.assert_close(model.down_queue[:4], h.detach())
    assert model.label_queue[:4].tolist() == labels.tolist()
    assert int(model.queue_ptr) == 4 and int(model.steps) == steps + 1


def test_without_joint_mean_the_head_losses_stay_and_the_queue_adds():
    model = filled(tiny(joint_mean=False, loss_weight=0.5))
    joint = filled(tiny())
    x, samples = batch(torch.tensor([0, 1, 2, 1]))
    a, b = model.loss(x, samples), joint.loss(x, samples)
    torch.testing.assert_close(a['loss_ce'], b['loss_ce'] * 14 / 4)
    torch.testing.assert_close(a['loss_dr'], b['loss_dr'] * 14 / 10 * 0.5)


def test_gradients_reach_the_backbone_through_the_batch_only():
    model = filled(tiny())
    x, samples = batch(torch.tensor([0, 1, 2, 1]))
    sum(model.loss(x, samples).values()).backward()
    assert all(p.grad is not None for p in model.backbone.parameters())
    assert not any(p.requires_grad for p in model.reference.buffers())
    assert not list(model.reference.parameters())


def test_the_queue_wraps_around():
    model = filled(tiny())
    model.queue_ptr.fill_(8)
    labels = torch.tensor([0, 1, 2, 1])
    model.loss(*batch(labels))
    assert model.label_queue[[8, 9, 0, 1]].tolist() == labels.tolist()
    assert int(model.queue_ptr) == 2


def test_unfilled_queues_and_batch_augments_are_refused():
    with pytest.raises(RuntimeError, match='DRTuneQueueHook'):
        tiny().loss(*batch(torch.tensor([0, 1])))
    with pytest.raises(ValueError, match='batch augments'):
        tiny(train_cfg=dict(augments=dict(type='Mixup', alpha=0.2)))


def test_warm_up_fills_both_queues_with_pretrained_features():
    model = tiny(queue_size=10)
    model.backbone.layer1[0].conv1.weight.data.add_(1.0)  # fine-tuned moved
    data = []
    for i in range(6):  # batches of 4: 10 // 4 + 2 = 4 are read
        x, samples = batch(torch.tensor([0, 1, 2, 0]), seed=i)
        data.append(dict(inputs=list(x.float()), data_samples=samples))
    runner = SimpleNamespace(
        model=model,
        train_dataloader=_Loader(data, 4),
        logger=MMLogger.get_current_instance())
    model.data_preprocessor = _Identity()
    hook = DRTuneQueueHook()
    assert not hook.is_prepared(runner)
    hook.before_train(runner)
    assert hook.is_prepared(runner) and model.training
    feats = [
        model.pretrained_features(_Identity()(d)['inputs']) for d in data[:4]
    ]
    # 16 features into 10 slots: the last 10, the pointer after them
    want = torch.cat(feats)[-10:]
    order = (torch.arange(10) + 6) % 10
    torch.testing.assert_close(model.pre_queue[order], want)
    torch.testing.assert_close(model.down_queue, model.pre_queue)
    assert int(model.queue_ptr) == 6
    small = tiny(queue_size=40)
    small.data_preprocessor = _Identity()
    runner.model = small
    with pytest.raises(ValueError, match='queue_size to at most 24'):
        hook.before_train(runner)


class _Loader(list):

    def __init__(self, data, batch_size):
        super().__init__(data)
        self.batch_size = batch_size


class _Identity(torch.nn.Module):
    """A pre-processor that stacks float64 images as they are."""

    def forward(self, data, training=False):
        return dict(
            inputs=torch.stack(data['inputs']).double(),
            data_samples=data['data_samples'])
