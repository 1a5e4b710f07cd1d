"""HCSC: the selection probabilities and both selective losses against
per-sample loops written from the paper / the official code's rules, MoCo v2
before the first clustering, the queue's indices, the false-negative counts,
and strict loading of the query encoder into the demo's fine-tuning
model."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmctune.models.selfsup import hcsc as hcsc_module
from mmctune.registry import MODELS
from ...conftest import ROOT

BACKBONE = dict(
    type='mmpretrain.ResNet_CIFAR',
    depth=18,
    in_channels=1,
    stem_channels=4,
    base_channels=4,
    out_indices=(3, ))
NECK = dict(
    type='mmpretrain.MoCoV2Neck',
    in_channels=32,
    hid_channels=32,
    out_channels=4,
    with_avg_pool=True)
PRE = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[0.],
    std=[1.],
    to_rgb=False)


def build(**kwargs):
    cfg = dict(
        type='HCSC',
        backbone=BACKBONE,
        neck=NECK,
        queue_len=6,
        feat_dim=4,
        temperature=0.2,
        data_preprocessor=PRE)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def unit(*shape, seed):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(
        torch.randn(*shape, generator=g, dtype=torch.float64), dim=-1)


def toy_clusters(n_images=10):
    """Three levels, 5 -> 3 -> 2 prototypes, consistent: an image's upper
    prototype is the parent of its lower one."""
    c2c0 = torch.tensor([0, 0, 1, 2, 2])
    c2c1 = torch.tensor([0, 1, 1])
    im0 = torch.arange(n_images) % 5
    dens = [
        torch.tensor(d, dtype=torch.float64)
        for d in ([0.15, 0.2, 0.25, 0.18, 0.22], [0.19, 0.21, 0.2],
                  [0.17, 0.23])
    ]
    return dict(
        im2cluster=[im0, c2c0[im0], c2c1[c2c0[im0]]],
        centroids=[unit(5, 4, seed=1),
                   unit(3, 4, seed=2),
                   unit(2, 4, seed=3)],
        density=dens,
        cluster2cluster=[c2c0, c2c1])


def softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def dot(a, b):
    return float(sum(x * y for x, y in zip(a.tolist(), b.tolist())))


def test_instance_keep_prob_loop():
    res = toy_clusters()
    queue = unit(6, 4, seed=4).t()  # (D, K)
    idx = torch.tensor([0, 3, 7])
    for lvl in range(3):
        c, phi = res['centroids'][lvl], res['density'][lvl]
        own = res['im2cluster'][lvl][idx]
        got = hcsc_module.instance_keep_prob(queue, c, phi, own)
        for i in range(len(idx)):
            for j in range(6):
                sm = softmax([
                    dot(queue[:, j], c[u]) / float(phi[u])
                    for u in range(len(c))
                ])
                assert got[i, j].item() == pytest.approx(
                    1 - sm[int(own[i])], abs=1e-12)


def test_proto_keep_prob_loop():
    res = toy_clusters()
    tau = 0.2
    idx = torch.tensor([0, 3])
    neg = torch.tensor([1, 2, 4])  # prototypes of level 0 no query holds
    upper = res['im2cluster'][1][idx]  # the query's level-1 prototype
    got = hcsc_module.proto_keep_prob(res['centroids'][0], res['centroids'][1],
                                      res['density'][1], upper, neg, tau)
    phi = res['density'][1]
    mean_phi = sum(phi.tolist()) / len(phi)
    for i in range(2):
        for a, n in enumerate(neg.tolist()):
            sm = softmax([
                dot(res['centroids'][0][n], res['centroids'][1][u]) /
                (float(phi[u]) / mean_phi * tau) for u in range(3)
            ])
            assert got[i, a].item() == pytest.approx(
                1 - sm[int(upper[i])], abs=1e-12)


def ce_first(logits):
    """-log softmax(logits)[0], from the definition."""
    m = max(logits)
    return -(logits[0] - m - math.log(sum(math.exp(x - m) for x in logits)))


@pytest.mark.parametrize('masked_logit', ['zero', 'remove'])
def test_selective_losses_loop(monkeypatch, masked_logit):
    model = build(masked_logit=masked_logit).double()
    res = toy_clusters()
    model.set_cluster_result(res)
    model.queue.copy_(unit(6, 4, seed=4).t())
    q, k = unit(3, 4, seed=5), unit(3, 4, seed=6)
    # level-0 prototypes 0, 1, 0: every level has negative prototypes
    idx = torch.tensor([0, 1, 5])
    label = torch.tensor([0, 1, 2])
    gen = torch.Generator().manual_seed(0)
    drawn = []  # (probability, mask) in the order the model draws

    def fixed_bernoulli(p):
        m = (torch.rand(p.shape, generator=gen, dtype=p.dtype) < p).to(p.dtype)
        drawn.append((p.clone(), m))
        return m

    monkeypatch.setattr(hcsc_module, '_bernoulli', fixed_bernoulli)
    losses = model.selective_losses(q, k, idx, label)
    tau = 0.2
    # three instance masks (one per level), then two prototype masks
    assert [tuple(p.shape) for p, _ in drawn] == [(3, 6)] * 3 + [(3, 3),
                                                                 (3, 2)]
    ins_masks = [m for _, m in drawn[:3]]
    # probabilities clipped as the official code
    for lvl, (p, _) in enumerate(drawn[:3]):
        own = res['im2cluster'][lvl][idx]
        ref = hcsc_module.instance_keep_prob(model.queue,
                                             res['centroids'][lvl],
                                             res['density'][lvl], own)
        torch.testing.assert_close(p, ref.clamp(0, 0.999))

    def neg_term(sim, m, t):
        if m == 0 and masked_logit == 'remove':
            return None
        return m * sim / t

    # instance-wise: summed over levels
    expected_ins = 0.
    for m in ins_masks:
        total = 0.
        for i in range(3):
            logits = [dot(q[i], k[i]) / tau]
            for j in range(6):
                t = neg_term(dot(q[i], model.queue[:, j]), float(m[i, j]), tau)
                if t is not None:
                    logits.append(t)
            total += ce_first(logits)
        expected_ins += total / 3
    assert losses['loss_ins'].item() == pytest.approx(expected_ins, rel=1e-10)

    # prototypical: averaged over levels; negatives = the prototypes no
    # query of the batch holds; the top level keeps them all
    proto_masks = [drawn[3][1], drawn[4][1], None]
    expected_proto = 0.
    for lvl in range(3):
        c, phi = res['centroids'][lvl], res['density'][lvl]
        own = res['im2cluster'][lvl][idx].tolist()
        negs = [u for u in range(len(c)) if u not in own]
        total = 0.
        for i in range(3):
            logits = [dot(q[i], c[own[i]]) / float(phi[own[i]])]
            for a, n in enumerate(negs):
                keep = 1. if proto_masks[lvl] is None else float(
                    proto_masks[lvl][i, a])
                t = neg_term(dot(q[i], c[n]), keep, float(phi[n]))
                if t is not None:
                    logits.append(t)
            total += ce_first(logits)
        expected_proto += total / 3
    assert losses['loss_proto'].item() == pytest.approx(
        expected_proto / 3, rel=1e-10)


def test_selection_counts_loop(monkeypatch):
    model = build().double()
    res = toy_clusters()
    model.set_cluster_result(res)
    model.queue_label.copy_(torch.tensor([0, 1, -1, 0, 2, 1]))
    masks = [
        torch.tensor([[1., 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 0]]),
        torch.ones(2, 6)
    ]
    label = torch.tensor([0, 1])
    model._count_selection(masks, label)
    model._count_selection(masks, label)  # accumulates
    for lvl, m in enumerate(masks):
        cnt = dict(removed=0, removed_fn=0, fn=0, kept=0, kept_tn=0, tn=0)
        for i in range(2):
            for j in range(6):
                lj = int(model.queue_label[j])
                if lj < 0:
                    continue
                same = lj == int(label[i])
                cnt['fn' if same else 'tn'] += 1
                if m[i, j] == 0:
                    cnt['removed'] += 1
                    cnt['removed_fn'] += same
                else:
                    cnt['kept'] += 1
                    cnt['kept_tn'] += not same
        row = model.selection_counts[lvl].tolist()
        assert row == [2 * cnt[n] for n in hcsc_module.SELECTION_COUNT_NAMES]


def samples(indices, labels=None):
    out = []
    for a, i in enumerate(indices):
        s = DataSample()
        s.set_metainfo(dict(sample_idx=i))
        if labels is not None:
            s.set_gt_label(labels[a])
        out.append(s)
    return out


def views(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 1, 8, 8, generator=g) for _ in range(2)]


def test_before_clustering_is_mocov2():
    ours = build(queue_len=8)
    moco = MODELS.build(
        dict(
            type='mmpretrain.MoCo',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(
                type='mmpretrain.ContrastiveHead',
                loss=dict(type='mmpretrain.CrossEntropyLoss'),
                temperature=0.2),
            queue_len=8,
            feat_dim=4,
            momentum=0.001,
            data_preprocessor=PRE))
    missing, unexpected = moco.load_state_dict(ours.state_dict(), strict=False)
    assert missing == [] and sorted(unexpected) == [
        'queue_index', 'queue_label'
    ]
    x = views()
    torch.manual_seed(1)
    got = ours.loss(x, samples([3, 1, 0, 2], labels=[0, 1, 0, 1]))
    torch.manual_seed(1)
    ref = moco.loss(x, samples([3, 1, 0, 2]))
    assert set(got) == {'loss_ins'}
    torch.testing.assert_close(got['loss_ins'], ref['loss'])
    torch.testing.assert_close(ours.queue, moco.queue)


def test_queue_keeps_indices_and_labels():
    ours = build()  # a queue of 6, batches of 4
    ours.loss(views(), samples([3, 1, 0, 2], labels=[0, 1, 0, 1]))
    # the queue keeps the keys' dataset indices and labels, wrapping round
    assert ours.queue_index.tolist() == [3, 1, 0, 2, -1, -1]
    ours.loss(views(seed=1), samples([5, 4, 6, 7], labels=[1, 1, 0, 0]))
    assert ours.queue_index.tolist() == [6, 7, 0, 2, 5, 4]
    assert ours.queue_label.tolist() == [0, 0, 0, 1, 1, 1]
    assert int(ours.queue_ptr) == 2


def test_loss_after_clustering_names_and_grad():
    model = build()
    res = toy_clusters()
    res = {
        k: [t.float() if t.is_floating_point() else t for t in v]
        for k, v in res.items()
    }
    model.set_cluster_result(res)
    losses = model.loss(views(), samples([0, 1, 2, 3], labels=[0, 1, 2, 3]))
    assert set(losses) == {'loss_ins', 'loss_proto'}
    sum(losses.values()).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    # nothing labelled in the queue yet: no counts; then 4 x 4 pairs a level
    assert model.selection_counts is None
    model.loss(views(seed=1), samples([4, 5, 6, 7], labels=[0, 1, 2, 3]))
    counts = model.selection_counts
    assert counts.shape == (3, 6)
    torch.testing.assert_close(counts[:, 0] + counts[:, 3],
                               torch.full((3, ), 16.).double())
    torch.testing.assert_close(counts[:, 2], torch.full((3, ), 4.).double())
    with pytest.raises(ValueError, match='outside the clustered'):
        model.loss(views(), samples([0, 1, 2, 10]))
    with pytest.raises(ValueError, match="dataset index"):
        model.loss(views(), [DataSample() for _ in range(4)])
    with pytest.raises(ValueError, match='MultiView'):
        model.loss(views()[0], samples([0, 1, 2, 3]))


def test_checkpoint_backbone_loads_strictly_into_finetuning(tmp_path):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/pretrain/hcsc_r18-tiny_fmnist.py'))
    hcsc = MODELS.build(cfg.model)
    ckpt = tmp_path / 'hcsc.pth'
    torch.save(dict(state_dict=hcsc.state_dict()), ckpt)
    ft_cfg = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'))
    ft_cfg.model.data_preprocessor = ft_cfg.data_preprocessor  # as Runner
    ft = MODELS.build(ft_cfg.model)
    backbone = {
        k[len('backbone.'):]: v
        for k, v in hcsc.state_dict().items() if k.startswith('backbone.')
    }
    ft.backbone.load_state_dict(backbone, strict=True)
    # and through the config's init_cfg, as a fine-tuning run loads it
    ft_cfg.model.backbone.init_cfg.checkpoint = str(ckpt)
    ft2 = MODELS.build(ft_cfg.model)
    ft2.init_weights()
    for k, v in ft2.backbone.state_dict().items():
        torch.testing.assert_close(v, hcsc.backbone.state_dict()[k])


def test_one_gpu_shuffle_bn_with_split_batch_norm():
    """The one-GPU emulation of the official 8-GPU shuffle-BN
    (configs/pretrain/hcsc_r50_1xb256-splitbn8-200e_in1k.py): with
    SplitBatchNorm2d in the backbone, key_features shuffles the key batch,
    the key encoder normalises it in groups of the *shuffled* batch, and the
    keys come back in the batch's order. Checked against a loop: the same
    encoder with plain BN run on each group of the shuffled batch on its
    own, its keys written back to their images."""
    splits = 4
    split_bb = dict(
        BACKBONE, norm_cfg=dict(type='SplitBatchNorm2d', num_splits=splits))
    model = build(backbone=split_bb, queue_len=8)
    plain = build(queue_len=8)
    plain.load_state_dict(model.state_dict())  # the same keys: BN's
    model.train()
    plain.train()
    n = 8
    g = torch.Generator().manual_seed(3)
    # images far apart, so that a group's statistics show in every key
    im_k = torch.randn(n, 1, 8, 8, generator=g) * 3 + \
        torch.arange(n, dtype=torch.float)[:, None, None, None]
    torch.manual_seed(7)
    k = model.key_features(im_k)
    torch.manual_seed(7)
    perm = torch.randperm(n)  # batch_shuffle_ddp's draw
    assert not torch.equal(perm, torch.arange(n))
    expected = torch.empty_like(k)
    with torch.no_grad():
        for grp in range(splits):
            images = perm[grp::splits]  # group grp of the shuffled batch
            expected[images] = F.normalize(
                plain.encoder_k(im_k[images])[0], dim=1)
    torch.testing.assert_close(k, expected)
    # the keys' groups are not the queries' (samples grp, grp + 4, ...):
    # without the shuffle each key would be normalised with its query's
    # group, which is what shuffle-BN avoids
    query_groups = {frozenset(range(grp, n, splits)) for grp in range(splits)}
    key_groups = {
        frozenset(perm[grp::splits].tolist())
        for grp in range(splits)
    }
    assert key_groups != query_groups
    # in evaluation mode BN is per image: the shuffle must give every key
    # back to its own image
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            model.key_features(im_k),
            F.normalize(model.encoder_k(im_k)[0], dim=1))
    # and a whole training step runs with it
    model.train()
    losses = model.loss(views(n), samples(list(range(n))))
    assert torch.isfinite(losses['loss_ins'])
