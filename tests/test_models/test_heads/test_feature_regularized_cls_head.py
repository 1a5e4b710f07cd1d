"""FeatureRegularizedClsHead: the CE / SCL / Core-tuning settings, and the
global batch over 2 gloo processes equal to one process on the whole batch."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmctune.models.losses import FocalSupConLoss
from mmctune.models.utils import soft_labels
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from ...conftest import ROOT, free_port, run_python

register_all_modules()

CORE = dict(
    type='FeatureRegularizedClsHead',
    num_classes=3,
    in_channels=16,
    projector=dict(
        type='MLPProjector', in_channels=16, hid_channels=32, out_channels=8),
    con_loss=dict(type='FocalSupConLoss', temperature=0.07, loss_weight=0.5),
    miner=dict(type='HardnessDirectedMixup', alpha=1.0, seed=0),
    loss=dict(type='mmpretrain.CrossEntropyLoss'))


def build(**overrides):
    torch.manual_seed(0)
    head = MODELS.build({**CORE, **overrides})
    head.init_weights()
    return head


def samples(labels):
    return [DataSample().set_gt_label(int(c)) for c in labels]


def inputs(n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 16, generator=g), torch.tensor([0, 1, 2] * 3)[:n]


def test_ce_setting_is_linear_cls_head():
    z, y = inputs()
    ours = build(con_loss=None, miner=None)
    ref = MODELS.build(
        dict(
            type='mmpretrain.LinearClsHead',
            num_classes=3,
            in_channels=16,
            loss=dict(type='mmpretrain.CrossEntropyLoss')))
    ref.load_state_dict(ours.state_dict())
    assert ours.projector is None
    assert ours.loss((z, ), samples(y)).keys() == {'loss_ce'}
    torch.testing.assert_close(
        ours.loss((z, ), samples(y))['loss_ce'],
        ref.loss((z, ), samples(y))['loss'])


def test_logged_loss_is_the_total_and_each_term_has_its_name():
    """mmengine's parse_losses logs the optimised objective as `loss` and
    every term under its own name (a term named `loss` would overwrite the
    total in the log)."""
    from mmengine.model import BaseModel
    z, y = inputs()
    losses = build().loss((z, ), samples(y))
    assert 'loss' not in losses
    total, log_vars = BaseModel.parse_losses(None, losses)
    want = losses['loss_ce'] + losses['loss_mix'] + losses['loss_con']
    torch.testing.assert_close(total, want)
    torch.testing.assert_close(log_vars['loss'], want)
    assert set(log_vars) == {'loss', 'loss_ce', 'loss_mix', 'loss_con'}


def test_core_tuning_losses():
    z, y = inputs()
    z.requires_grad_(True)
    head = build()
    losses = head.loss((z, ), samples(y))
    assert losses.keys() == {'loss_ce', 'loss_mix', 'loss_con'}
    sum(losses.values()).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    for p in head.parameters():
        assert p.grad is not None
    # eta, the loss's loss_weight, scales the contrastive term only, once
    doubled = build(
        con_loss=dict(
            type='FocalSupConLoss', temperature=0.07, loss_weight=1.0)).loss(
                (z, ), samples(y))
    torch.testing.assert_close(doubled['loss_con'], 2 * losses['loss_con'])
    torch.testing.assert_close(doubled['loss_mix'], losses['loss_mix'])
    # loss_con is the loss module's own output on the head's projections:
    # no second factor in the head
    head = build()
    unit = FocalSupConLoss(temperature=0.07)  # weight 1
    with torch.no_grad():
        pos, _, neg, _ = head.miner(z.detach(), soft_labels(y, 3))
        v = F.normalize(
            head.projector(torch.cat([z.detach(), pos, neg])), dim=1).split(8)
        want = 0.5 * unit(v[0], y, v[1], v[2])
    head = build()  # the miner's generator from the start again
    torch.testing.assert_close(
        head.loss((z.detach(), ), samples(y))['loss_con'], want)


def test_switches():
    z, y = inputs()
    assert build(smooth_classifier=False).loss(
        (z, ), samples(y)).keys() == {'loss_ce', 'loss_con'}
    assert build(
        miner=None, con_loss=dict(type='SupConLoss')).loss(
            (z, ), samples(y)).keys() == {'loss_ce', 'loss_con'}
    assert build(
        con_loss=None, miner=dict(type='ManifoldMixup')).loss(
            (z, ), samples(y)).keys() == {'loss_ce', 'loss_mix'}


def test_predict_is_the_plain_classifier():
    z, _ = inputs()
    head = build()
    preds = head.predict((z, ))
    scores = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(scores, head.fc(z).softmax(dim=1))


def test_projector_keeps_its_own_initialisation():
    head = build()
    assert head.fc.weight.std() < 0.02  # LinearClsHead's N(0, 0.01)
    assert head.projector.mlp[0].weight.std() > 0.1  # U(+-1/sqrt(16))


DIST = """
import os, sys, torch
import torch.multiprocessing as mp

def work(rank, port, out):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2',
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    sys.path.insert(0, {root!r})
    import mmctune
    from mmengine.dist import all_reduce
    from tests.test_models.test_heads.test_feature_regularized_cls_head \
        import build, inputs, samples
    # gloo from the environment (mmengine's init_dist would set a CUDA
    # device, which a CPU torch refuses)
    torch.distributed.init_process_group(backend='gloo')
    head = build(gather_distributed=True)
    z, y = inputs()
    part = z[rank * 4:(rank + 1) * 4].clone().requires_grad_(True)
    losses = head.loss((part, ), samples(y[rank * 4:(rank + 1) * 4]))
    total = sum(losses.values())
    total.backward()
    # what DDP does: average the parameter gradients over ranks
    grads = {{k: p.grad.clone() for k, p in head.named_parameters()}}
    for g in grads.values():
        all_reduce(g, op='mean')
    loss = total.detach().clone()
    all_reduce(loss, op='mean')
    torch.save(dict(loss=loss, grads=grads, feat_grad=part.grad / 2),
               f'{{out}}/rank{{rank}}.pth')

if __name__ == '__main__':
    # forked: this script has run no torch op yet (the ranks need not
    # import everything again)
    mp.start_processes(work, args=(sys.argv[1], sys.argv[2]), nprocs=2,
                       start_method='fork')
"""


def test_global_batch_over_two_processes_equals_one_process(tmp_path):
    script = tmp_path / 'dist.py'
    script.write_text(DIST.format(root=ROOT))
    r = run_python(args=[str(script), str(free_port()), str(tmp_path)])
    assert r.returncode == 0, r.stdout[-3000:]
    ranks = [torch.load(tmp_path / f'rank{i}.pth') for i in range(2)]

    head = build()  # one process, the concatenated batch
    z, y = inputs()
    z.requires_grad_(True)
    total = sum(head.loss((z, ), samples(y)).values())
    total.backward()
    for res in ranks:
        torch.testing.assert_close(res['loss'], total.detach())
        for k, p in head.named_parameters():
            torch.testing.assert_close(res['grads'][k], p.grad, msg=k)
    torch.testing.assert_close(
        torch.cat([ranks[0]['feat_grad'], ranks[1]['feat_grad']]), z.grad)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match=r'loss_weight \(eta\) must be >= 0'):
        build(con_loss=dict(type='FocalSupConLoss', loss_weight=-0.1))
    # a typo is named with what was meant, not blamed on mmpretrain's ClsHead
    with pytest.raises(
            TypeError,
            match='unexpected argument `gather_distri'
            'buted_`; did you mean gather_distributed'):
        build(gather_distributed_=True)
    with pytest.raises(TypeError, match='`tpok`; did you mean topk'):
        build(tpok=(1, ))
    build(topk=(1, ), init_cfg=None)  # the bases' arguments pass
    with pytest.raises(
            ValueError,
            match='the projector takes 32-d features but in_channels=16'):
        build(projector=dict(type='MLPProjector', in_channels=32))
    head = build()
    z, y = inputs()
    with pytest.raises(
            ValueError,
            match=r'in_channels=16 but the backbone \(and neck\) give '
            r'features of shape \(8, 12\)'):
        head.loss((z[:, :12], ), samples(y))


def host_reads(head, feats, labels):
    """How many times one training step of ``head`` reads a tensor back to
    the host (``.item()``, ``bool(t)``, ``F.one_hot``'s range check): on a
    GPU each one waits for all the work queued before it."""
    from torch.profiler import ProfilerActivity, profile
    batch = samples(labels)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        head.loss((feats, ), batch)
    return sum(e.count for e in prof.key_averages()
               if e.key == 'aten::_local_scalar_dense')


def test_a_step_reads_back_only_the_miners_branch():
    """CE-tuning's head reads nothing back (it made one-hot labels it did
    not use, with F.one_hot's two reads); Core-tuning's reads once, the
    miner's 'any negative in the batch?' (SupCon's 'any positive?' branch
    is gone: an anchor without positives adds 0 anyway)."""
    feats, labels = inputs()
    assert host_reads(build(con_loss=None, miner=None), feats, labels) == 0
    assert host_reads(build(), feats, labels) == 1
    # a batch without positives: the loss is 0, with a zero gradient
    head = build(miner=None)
    z = feats[:3].clone().requires_grad_(True)
    loss = head.loss((z, ), samples([0, 1, 2]))['loss_con']
    loss.backward()
    assert loss.item() == 0
    assert torch.isfinite(z.grad).all() and not z.grad.any()
