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


# -- the attack composes with every mmctune classifier ----------------------
COMPOSED = {
    'l2sp':
    dict(
        type='RegularizedClassifier',
        regularizers=[dict(type='L2SPRegularizer', alpha=0.3, beta=0.1)]),
    'delta':
    dict(
        type='RegularizedClassifier',
        regularizers=[dict(type='DELTARegularizer', attention=False)]),
    'core+l2sp':
    dict(
        type='RegularizedClassifier',
        head=CORE_HEAD,
        regularizers=[dict(type='L2SPRegularizer')]),
    'cotuning':
    dict(type='CoTuningClassifier', num_source_classes=4),
}


def build(kind, attack=None):
    kwargs = dict(COMPOSED[kind])
    if attack is not None:
        kwargs['attack'] = attack
    model = tiny_classifier(
        kwargs.pop('type'), head=kwargs.pop('head', None), **kwargs)
    with torch.no_grad():  # the fine-tuned weights away from the reference
        for p in model.backbone.parameters():
            p.add_(0.05 * torch.randn(
                p.shape, generator=torch.Generator().manual_seed(p.numel())))
    if kind == 'cotuning':
        x, samples = batch()
        labels = torch.tensor([s.gt_label.item() for s in samples])
        with torch.no_grad():
            model.compute_relationship(model.pooled_features(x), labels)
    return model.train()


@pytest.mark.parametrize('kind', sorted(COMPOSED))
def test_attack_composes_with_any_classifier_and_regulariser(kind):
    """``attack=`` on RegularizedClassifier (L2-SP, DELTA, Core-tuning's
    head with L2-SP) and CoTuningClassifier: the loss is the same model's
    clean loss of the clean images followed by their adversarial images,
    every term (the regularisers' and the source head's included)."""
    model = build(kind, ATTACK)
    clean = build(kind)
    clean.load_state_dict(model.state_dict())
    x, samples = batch()
    labels = torch.tensor([s.gt_label.item() for s in samples])
    adv = model.attack(model, x, labels)
    assert not torch.equal(adv, x)
    losses = model.loss(x, samples)
    expected = clean.loss(torch.cat([x, adv]), samples + samples)
    assert losses.keys() == expected.keys()
    for k in losses:
        torch.testing.assert_close(losses[k], expected[k])
    # the attack does change the loss (it is not the clean batch twice)
    twice = clean.loss(torch.cat([x, x]), samples + samples)
    assert not torch.allclose(losses['loss_ce'], twice['loss_ce'])
    if 'l2sp' in kind:
        assert losses['loss_l2sp'] > 0


def test_without_an_attack_the_classifiers_train_clean():
    model = build('l2sp')
    assert model.attack is None
    x, samples = batch()
    assert model.adversarial_batch(x, samples) == (x, samples)


ADV_PROBE = '''
from mmengine.hooks import Hook

from mmctune.registry import HOOKS


@HOOKS.register_module()
class AdvProbeHook(Hook):
    """Records what the attack gives and the batch the backbone trains on."""

    def before_train(self, runner):
        model = runner.model
        attack, self.dist, self.sizes = model.attack, [], []

        def probed(m, x, labels):
            adv = attack(m, x, labels)
            std = m.data_preprocessor.std.max()
            self.dist.append(float((adv - x).abs().amax() * std / 255))
            return adv

        model.attack = probed
        model.backbone.register_forward_pre_hook(
            lambda mod, args: self.sizes.append(args[0].size(0))
            if mod.training else None)

    def after_train_epoch(self, runner):
        print(f'PROBE linf={max(self.dist):.6f} min={min(self.dist):.6f} '
              f'sizes={sorted(set(self.sizes))}')
'''


def test_at_l2sp_demo_config_trains(tiny_fmnist, tmp_path):
    """configs/adv/at-l2sp_r18-tiny_simclr_fmnist.py, one epoch through
    tools/train.py: the attack perturbs each batch within its budget, the
    backbone trains on clean + adversarial batches, and L2-SP's terms are
    logged and act."""
    import glob
    import json
    import os.path as osp
    import re

    from ...conftest import ROOT, run_python, write_tiny_config
    (tmp_path / 'adv_probe.py').write_text(ADV_PROBE)
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/adv/at-l2sp_r18-tiny_simclr_fmnist.py',
        extra="custom_imports = dict(imports=['adv_probe'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='AdvProbeHook')]\n")
    r = run_python(
        args=[
            osp.join(ROOT, 'tools', 'train.py'), cfg, '--work-dir',
            str(tmp_path / 'work')
        ],
        env=dict(PYTHONPATH=f'{tmp_path}:{ROOT}'),
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    probe = re.search(r'PROBE linf=([\d.]+) min=([\d.]+) sizes=\[(.*)\]',
                      r.stdout)
    # every batch perturbed, within linf 4/255 (in [0, 1] pixels)
    assert 1 / 255 < float(probe[2]) <= float(probe[1]) <= 4 / 255 + 1e-6
    # training steps see 2 x 16 images (the attack's own passes see 16)
    assert '32' in probe[3].split(', ')
    # L2-SP's terms, at full precision: 0 at the first step (the reference
    # is the starting backbone), then growing as the weights move away
    scalars, = glob.glob(
        str(tmp_path / 'work' / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars) as f:
        steps = [json.loads(line) for line in f if 'loss_l2sp' in line]
    l2sp = [s['loss_l2sp'] for s in steps]
    assert len(l2sp) == 4 and l2sp[0] == 0 and l2sp[-1] > l2sp[1] > 0
    assert all(s['loss_head_l2'] > 0 and s['loss_ce'] > 0 for s in steps)
