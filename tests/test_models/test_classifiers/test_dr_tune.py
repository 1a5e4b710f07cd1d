"""DR-Tune: the semantic calibration against a loop of the official code's
steps in float64 (NumPy), the loss against the official forward (one
cross-entropy over the batch and the calibrated queue), the queues, and the
warm-up hook, in one process and in two, and under ``--smoke``."""
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from mmctune.engine.hooks import DRTuneQueueHook
from mmctune.models.classifiers.dr_tune import (rotation_align,
                                                semantic_calibration)
from mmctune.utils.smoke import smoke_cfg
from ...conftest import (ROOT, run_python, run_two_processes, tiny_classifier,
                         write_tiny_config)


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
    with pytest.raises(ValueError, match='model.queue_size=24'):
        hook.before_train(runner)


def warm_up_data(rank, batches=4):
    """Rank ``rank``'s shard: ``batches`` batches of 4 images."""
    data = []
    for i in range(batches):
        x, samples = batch(torch.tensor([0, 1, 2, rank]), seed=10 * rank + i)
        data.append(dict(inputs=list(x.float()), data_samples=samples))
    return data


def warm_up(rank, queue_size, batches=4):
    model = tiny(queue_size=queue_size)
    model.data_preprocessor = _Identity()
    runner = SimpleNamespace(
        model=model,
        train_dataloader=_Loader(warm_up_data(rank, batches), 4),
        logger=MMLogger.get_current_instance())
    DRTuneQueueHook().before_train(runner)
    return model


def _warm_up_worker(rank):
    queues = []
    for batches in (4, 8):
        model = warm_up(rank, queue_size=24, batches=batches)
        queues.append((model.pre_queue.numpy(), model.label_queue.numpy(),
                       int(model.queue_ptr)))
    return queues,


def expected_queues(batches, steps):
    """The features and labels of ``steps`` steps of the two ranks' shards
    (``batches`` batches each), every step's batches in rank order."""
    model = tiny(queue_size=24)
    shards = [warm_up_data(r, batches) for r in range(2)]
    feats, labels = [], []
    for step in range(steps):
        for shard in shards:
            data = _Identity()(shard[step])
            feats.append(model.pretrained_features(data['inputs']))
            labels += [int(s.gt_label) for s in data['data_samples']]
    return torch.cat(feats).detach(), labels


def test_two_processes_fill_the_queue_together():
    """K = 24, batch 4, two ranks: each rank reads K // (4 * 2) + 2 = 5
    batches at most, and both ranks hold the same queues, every step's
    batches in rank order. With shards of 16 images, fewer than K, a rank
    alone is refused and the two fill the queue together (4 steps, 32
    images: the last 24); with shards of 32, 5 steps are read (40 images),
    not the 8 one process would read."""
    with pytest.raises(ValueError, match='queue_size to at most 16'):
        warm_up(0, queue_size=24)
    results = run_two_processes(_warm_up_worker)
    for queues, batches, steps in ((0, 4, 4), (1, 8, 5)):
        feats, labels = expected_queues(batches, steps)
        ptr = len(labels) % 24
        order = (torch.arange(24) + ptr) % 24  # oldest first
        for _, runs in results:
            pre, label, got_ptr = runs[queues]
            assert got_ptr == ptr
            torch.testing.assert_close(
                torch.from_numpy(pre)[order], feats[-24:])
            assert torch.from_numpy(label)[order].tolist() == labels[-24:]


def step_gradients(model, x, samples):
    """The gradients of one loss: name -> tensor. In eval mode: BN's
    batch statistics would differ between half batches and the whole."""
    model.eval()
    model.zero_grad()
    sum(v for k, v in model.loss(x, samples).items() if 'loss' in k).backward()
    return {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }


GLOBAL_LABELS = torch.tensor([0, 1, 2, 1, 2, 0, 0, 1])


def _gradient_worker(rank, joint_mean):
    import torch.distributed as dist
    model = filled(tiny(joint_mean=joint_mean))
    x, samples = batch(GLOBAL_LABELS)
    half = slice(4 * rank, 4 * rank + 4)
    grads = step_gradients(model, x[half], samples[half])
    for g in grads.values():  # as DistributedDataParallel does
        dist.all_reduce(g)
        g /= 2
    return {n: g.numpy() for n, g in grads.items()},


@pytest.mark.parametrize('joint_mean', [True, False])
def test_two_processes_step_as_one_with_the_whole_batch(joint_mean):
    """Two ranks with half the batch each, their gradients averaged (as
    DistributedDataParallel does), move the model as one process with the
    whole batch: the single cross-entropy weighs the global batch against
    the queue, and the calibration scales to the global batch's norm."""
    model = filled(tiny(joint_mean=joint_mean))
    want = step_gradients(model, *batch(GLOBAL_LABELS))
    for _, grads in run_two_processes(_gradient_worker, joint_mean):
        assert set(grads) == set(want)
        for name, g in grads.items():
            torch.testing.assert_close(
                torch.from_numpy(g), want[name], rtol=1e-9, atol=1e-12)


def test_smoke_fits_the_queue_to_its_images():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/drtune/r50_moco_dtd.py'))
    assert cfg.model.queue_size == 2048
    assert 'a DR-Tune queue of 16' in smoke_cfg(cfg)
    assert cfg.model.queue_size == 16
    # the class's default (2048) when the config leaves it out
    cfg = Config(
        dict(
            model=dict(type='DRTuneClassifier'),
            custom_hooks=[dict(type='DRTuneQueueHook')]))
    smoke_cfg(cfg, images=32)
    assert cfg.model.queue_size == 32
    # a queue the images fill stays
    cfg.model.queue_size = 8
    assert not any('queue' in n for n in smoke_cfg(cfg, images=32))
    assert cfg.model.queue_size == 8


def test_smoke_run_of_the_demo_config(tiny_fmnist, tmp_path):
    """``tools/train.py --smoke`` checks a DR-Tune config end to end: its
    16 images fill the queue it fits (the config's 512 would be refused)."""
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/drtune/r18-tiny_simclr_fmnist.py')
    work = tmp_path / 'work'
    r = run_python(args=[
        osp.join(ROOT, 'tools', 'train.py'), cfg, '--smoke', '--work-dir',
        str(work)
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'a DR-Tune queue of 16' in r.stdout
    assert 'queues filled with the pre-trained features of 16' in r.stdout
    assert (work / 'epoch_1.pth').is_file()


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
