"""StageSwitchHook (COIN and any schedule of stages), RIFLEHook,
NoisyTuneHook and DELTAAttentionHook
on a tiny model with a stand-in runner; the end-to-end resume runs are in
tests/test_configs/test_methods_train.py."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import EpochBasedTrainLoop

from mmctune.engine.hooks import (DELTAAttentionHook, NoisyTuneHook, RIFLEHook,
                                  StageSwitchHook)
from ...conftest import tiny_classifier


def model(head='FeatureRegularizedClsHead', **head_kwargs):
    return tiny_classifier(
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        head=dict(type=head, **head_kwargs))


def runner(m, epoch=0, max_epochs=10, it=0, seed=3):
    optimizer = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    train_loop = object.__new__(EpochBasedTrainLoop)
    return SimpleNamespace(
        model=m,
        epoch=epoch,
        iter=it,
        max_epochs=max_epochs,
        seed=seed,
        train_loop=train_loop,
        logger=logging.getLogger('test'),
        optim_wrapper=SimpleNamespace(optimizer=optimizer))


# configs/_base_/methods/coin.py: the head is built as stage 1
COIN_HEAD = dict(
    con_loss=dict(type='SupConLoss', temperature=0.3, loss_weight=1.0),
    train_classifier=False,
    projector=dict(
        type='MLPProjector', in_channels=32, hid_channels=8, out_channels=4))
COIN = dict(stages=[(0.7, {
    'head.train_classifier': True,
    'head.con_loss.loss_weight': 0.1
})])


@pytest.mark.parametrize('epoch,stage', [(0, 1), (6, 1), (7, 2), (9, 2)])
def test_coin_stage_depends_on_the_epoch_alone(epoch, stage):
    """Whatever the epoch a run starts (or resumes) at, the head is in the
    stage of that epoch: switch at round(0.7 * 10) = 7."""
    m = model(**COIN_HEAD)
    hook = StageSwitchHook(**COIN)
    r = runner(m, epoch=epoch)
    hook.before_train(r)
    hook.before_train_epoch(r)
    assert m.head.train_classifier == (stage == 2)
    assert m.head.con_loss.loss_weight == (0.1 if stage == 2 else 1.0)
    # stage 1 leaves the classifier without gradient and reports SupCon only
    from mmpretrain.structures import DataSample
    x = torch.randn(6, 1, 8, 8)
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    losses = m.loss(x, samples)
    assert ('loss_ce' in losses) == (stage == 2)
    sum(losses.values()).backward()
    assert (m.head.fc.weight.grad is None) == (stage == 1)
    # the contrastive term carries the stage's weight, once
    m.head.con_loss.loss_weight = 1.0
    unit = m.loss(x, samples)['loss_con']
    torch.testing.assert_close(losses['loss_con'],
                               (0.1 if stage == 2 else 1.0) * unit)


def test_stages_accumulate_from_the_built_model_and_any_number_apply():
    """The state of an epoch is the config's values updated by every stage
    that has started, whichever epoch the hook first sees (resume), and
    walking back recovers the built values."""
    stages = [(2, {
        'head.con_loss.loss_weight': 0.5
    }), (0.5, {
        'head.train_classifier': True
    }), (8, {
        'head.con_loss.loss_weight': 0.01,
        'backbone.frozen_stages': -1
    })]
    want = {  # epoch: (loss_weight, train_classifier, frozen_stages)
        0: (1.0, False, 1),
        1: (1.0, False, 1),
        2: (0.5, False, 1),
        4: (0.5, False, 1),
        5: (0.5, True, 1),
        7: (0.5, True, 1),
        8: (0.01, True, -1),
        9: (0.01, True, -1)
    }
    for first in (0, 5, 9):  # a fresh run and runs resumed at 5 and 9
        m = model(**COIN_HEAD)
        m.backbone.frozen_stages = 1
        hook = StageSwitchHook(stages=stages)
        hook.before_train(runner(m, epoch=first))
        for epoch in [e for e in sorted(want) if e >= first] + [0]:
            hook.before_train_epoch(runner(m, epoch=epoch))
            assert (m.head.con_loss.loss_weight, m.head.train_classifier,
                    m.backbone.frozen_stages) == want[epoch], (first, epoch)


def test_lp_ft_freezes_then_unfreezes_the_backbone():
    """configs/_base_/methods/lp_ft.py: a linear probe (backbone without
    gradient, BN statistics frozen), then full fine-tuning; the state of any
    epoch (a resumed run) is that epoch's, and the probe updates only the
    classifier."""
    from mmengine.config import Config

    from ...conftest import ROOT
    hook_cfg = Config.fromfile(
        f'{ROOT}/configs/_base_/methods/lp_ft.py').custom_hooks[0]
    from mmpretrain.structures import DataSample
    x = torch.randn(6, 1, 8, 8)
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    for first in (0, 7, 3):
        m = model()
        hook = StageSwitchHook(stages=hook_cfg['stages'])
        hook.before_train(runner(m, epoch=first))
        for epoch in range(first, 10):
            r = runner(m, epoch=epoch)
            hook.before_train_epoch(r)
            probe = epoch < 5
            assert all(p.requires_grad != probe
                       for p in m.backbone.parameters())
            assert all(p.requires_grad for p in m.head.parameters())
            m.train()  # the Runner's model.train() keeps BN in eval mode
            bn = m.backbone.bn1
            assert bn.training != probe, epoch
            before = {k: v.clone() for k, v in m.state_dict().items()}
            r.optim_wrapper.optimizer.zero_grad()
            sum(m.loss(x, samples).values()).backward()
            r.optim_wrapper.optimizer.step()
            moved = {
                k
                for k, v in m.state_dict().items()
                if not torch.equal(v, before[k])
            }
            if probe:
                assert moved == {'head.fc.weight', 'head.fc.bias'}, moved
            else:
                assert 'backbone.conv1.weight' in moved


def test_a_head_with_nothing_to_train_is_an_error():
    from mmpretrain.structures import DataSample
    m = model(train_classifier=False)
    with pytest.raises(ValueError, match='nothing to train'):
        m.loss(
            torch.randn(3, 1, 8, 8),
            [DataSample().set_gt_label(i) for i in range(3)])


def test_stage_switch_refuses_bad_settings():
    with pytest.raises(ValueError, match='no stages'):
        StageSwitchHook(stages=[])
    with pytest.raises(ValueError, match='ratio 1.5'):
        StageSwitchHook(stages=[(1.5, {'head.a': 1})])
    with pytest.raises(ValueError, match='dotted path'):
        StageSwitchHook(stages=[(1, {'': 1})])
    with pytest.raises(ValueError, match='start, '):
        StageSwitchHook(stages=[(1, {})])
    # an unknown attribute, at any depth, is named with its path
    for path, missing in (('head.no_such', "'no_such'"),
                          ('head.con_loss.nope', "'nope'"), ('neck.x',
                                                             "'neck'")):
        hook = StageSwitchHook(stages=[(1, {path: 1})])
        with pytest.raises(AttributeError, match=f'{path!r}.*{missing}'):
            hook.before_train(runner(model(**COIN_HEAD)))
    hook = StageSwitchHook(stages=[(5, {
        'head.train_classifier': True
    }), (0.2, {
        'head.train_classifier': False
    })])
    with pytest.raises(ValueError, match=r'\[5, 2\], not in order'):
        hook.before_train(runner(model(**COIN_HEAD)))


@pytest.mark.parametrize('max_epochs,never', [(1, True), (2, False),
                                              (10, False)])
def test_stage_switch_warns_when_a_stage_never_runs(max_epochs, never, caplog):
    """COIN's switch at round(0.7 * 1) = 1 of 1 epoch: its classifier would
    never train, and the log says so."""
    hook = StageSwitchHook(**COIN)
    hook.before_train(runner(model(**COIN_HEAD), max_epochs=max_epochs))
    warned = [r.message for r in caplog.records if r.levelname == 'WARNING']
    if never:
        assert len(warned) == 1 and 'stage 0 never runs' in warned[0] \
            and 'train_classifier' in warned[0]
    else:
        assert not warned


def test_rifle_reinitialises_only_the_classifier_and_its_momentum():
    m = model()
    r = runner(m, max_epochs=10)
    hook = RIFLEHook(interval=3)
    assert hook.reinit_epochs(10) == [3, 6]
    # some optimizer state to clear
    opt = r.optim_wrapper.optimizer
    for p in m.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    for epoch in (1, 2):
        r.epoch = epoch
        hook.before_train_epoch(r)
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    r.epoch = 3
    hook.before_train_epoch(r)
    after = m.state_dict()
    changed = [k for k in after if not torch.equal(before[k], after[k])]
    assert sorted(changed) == ['head.fc.bias', 'head.fc.weight']
    # mmpretrain's LinearClsHead init: N(0, 0.01), bias 0
    assert after['head.fc.bias'].abs().max() == 0
    assert 0.005 < after['head.fc.weight'].std() < 0.02
    assert m.head.fc.weight not in opt.state
    assert m.backbone.conv1.weight in opt.state


def test_rifle_draws_the_same_weights_for_the_same_epoch():
    """What makes a resumed run re-initialise like the uninterrupted one."""
    a, b = model(), model()
    torch.manual_seed(123)  # the global RNG state must not matter
    RIFLEHook(interval=2).before_train_epoch(runner(a, epoch=2))
    torch.manual_seed(456)
    RIFLEHook(interval=2).before_train_epoch(runner(b, epoch=2))
    torch.testing.assert_close(a.head.fc.weight, b.head.fc.weight)
    c = model()
    RIFLEHook(interval=2).before_train_epoch(runner(c, epoch=4))
    assert not torch.equal(a.head.fc.weight, c.head.fc.weight)


def test_noisy_tune_perturbs_with_the_documented_scale():
    m = model()
    before = {k: p.detach().clone() for k, p in m.backbone.named_parameters()}
    head_before = m.head.fc.weight.detach().clone()
    lam = 0.15
    NoisyTuneHook(noise_lambda=lam).before_train(runner(m))
    noises = []
    for k, p in m.backbone.named_parameters():
        noise = p.detach() - before[k]
        std = before[k].std()
        bound = lam / 2 * std
        assert noise.abs().max() <= bound * (1 + 1e-5), k
        if p.numel() >= 500:
            # uniform on [-b, b]: std b / sqrt(3)
            assert noise.std().item() == pytest.approx(
                bound.item() / 3**0.5, rel=0.15), k
            noises.append(noise.flatten() / bound)
    allnoise = torch.cat(noises)
    assert allnoise.mean().abs() < 0.02 and allnoise.abs().max() > 0.99
    torch.testing.assert_close(m.head.fc.weight, head_before)


def test_noisy_tune_is_skipped_on_resume_and_same_on_every_rank():
    m = model()
    w = m.backbone.conv1.weight.detach().clone()
    NoisyTuneHook().before_train(runner(m, it=40))
    assert torch.equal(m.backbone.conv1.weight, w)
    a, b = model(), model()
    torch.manual_seed(1)
    NoisyTuneHook().before_train(runner(a))
    torch.manual_seed(2)  # another rank's global RNG
    NoisyTuneHook().before_train(runner(b))
    torch.testing.assert_close(a.backbone.conv1.weight,
                               b.backbone.conv1.weight)


def test_delta_attention_hook_computes_once():
    from mmpretrain.structures import DataSample
    m = tiny_classifier(
        'RegularizedClassifier', regularizers=[dict(type='DELTARegularizer')])
    loader = [
        dict(
            inputs=[
                torch.randint(0, 255, (1, 8, 8), dtype=torch.uint8)
                for _ in range(6)
            ],
            data_samples=[DataSample().set_gt_label(i % 3) for i in range(6)])
        for _ in range(3)
    ]
    r = runner(m)
    r.train_dataloader = loader
    reg = m.regularizers[0]
    hook = DELTAAttentionHook(num_batches=2)
    hook.before_train(r)
    assert bool(reg.attention_ready)
    first = reg.attention_0.clone()
    assert not torch.allclose(first, torch.full_like(first, 1 / 16))
    with torch.no_grad():
        reg.attention_0.fill_(0.5)
    hook.before_train(r)  # already there (e.g. resumed): not recomputed
    assert (reg.attention_0 == 0.5).all()
