"""PGD: the adversarial images stay in the budget and the valid range, raise
the loss, equal torchattacks' PGD / PGDL2 on the same model, inputs and seed,
and leave the model (mode, BN statistics, gradients) as it was."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmctune.models.utils import PGDAttack
from ...conftest import tiny_classifier

MEAN, STD = 72.94, 90.03  # the Fashion-MNIST configs' normalisation


def model_and_batch(n=6, seed=1, dtype=torch.float32):
    model = tiny_classifier(
        # logits of a useful size (the default head starts near zero)
        head=dict(init_cfg=dict(type='Normal', layer='Linear', std=1.0)),
        data_preprocessor=dict(
            type='mmpretrain.ClsDataPreprocessor',
            mean=[MEAN],
            std=[STD],
            to_rgb=False))
    model.to(dtype).eval()
    g = torch.Generator().manual_seed(seed)
    x01 = torch.rand(n, 1, 12, 12, generator=g, dtype=dtype)
    x01[0] = 0  # saturated pixels: the range projection matters
    x01[1] = 1
    labels = torch.arange(n) % 3
    return model, x01, (x01 * 255 - MEAN) / STD, labels


def to_pixels(inputs):
    return (inputs * STD + MEAN) / 255


def per_sample_loss(model, inputs, labels):
    with torch.no_grad():
        return F.cross_entropy(
            model(inputs, mode='tensor'), labels, reduction='none')


@pytest.mark.parametrize('norm,eps', [('linf', 8 / 255), ('l2', 0.5)])
def test_within_budget_and_range_and_raises_the_loss(norm, eps):
    model, x01, inputs, labels = model_and_batch()
    attack = PGDAttack(norm, eps, steps=10)
    torch.manual_seed(0)
    adv = attack(model, inputs, labels)
    delta = to_pixels(adv) - x01
    if norm == 'linf':
        assert delta.abs().max() <= eps + 1e-6
    else:
        assert (delta.flatten(1).norm(dim=1) <= eps + 1e-5).all()
    assert to_pixels(adv).min() >= -1e-6 and to_pixels(adv).max() <= 1 + 1e-6
    assert delta.abs().max() > eps / 10  # it did move
    clean = per_sample_loss(model, inputs, labels)
    attacked = per_sample_loss(model, adv, labels)
    assert (attacked > clean + 1e-4).all()


class Normalised(nn.Module):
    """The classifier as torchattacks wants it: [0, 1] images in, logits
    out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x01):
        return self.model((x01 * 255 - MEAN) / STD, mode='tensor')


@pytest.mark.parametrize('random_start', [False, True])
@pytest.mark.parametrize('norm', ['linf', 'l2'])
def test_equals_torchattacks(norm, random_start):
    # installed by tools/setup_env.sh with --no-deps (its metadata pins
    # requests~=2.25.1); see requirements/tests.txt
    torchattacks = pytest.importorskip('torchattacks')
    # double precision: no gradient sign flips from rounding
    model, x01, inputs, labels = model_and_batch(dtype=torch.float64)
    eps, alpha = (8 / 255, 2 / 255) if norm == 'linf' else (1.0, 0.2)
    ref_cls = torchattacks.PGD if norm == 'linf' else torchattacks.PGDL2
    ref = ref_cls(
        Normalised(model),
        eps=eps,
        alpha=alpha,
        steps=5,
        random_start=random_start)
    torch.manual_seed(3)
    expected = ref(x01, labels)
    torch.manual_seed(3)
    ours = PGDAttack(
        norm, eps, steps=5, step_size=alpha,
        random_start=random_start)(model, inputs, labels)
    assert (expected - x01).abs().max() > 1e-3
    # 1e-7: the preprocessor holds mean / std in float32, the test's
    # normalisation in float64 (a step is 2/255 or 0.2)
    torch.testing.assert_close(to_pixels(ours), expected, atol=1e-7, rtol=0)


def test_eps_zero_gives_the_clean_inputs():
    model, _, inputs, labels = model_and_batch()
    for norm in ('linf', 'l2'):
        adv = PGDAttack(norm, 0.0)(model, inputs, labels)
        assert torch.equal(adv, inputs)


def test_soft_labels():
    model, _, inputs, labels = model_and_batch()
    soft = F.one_hot(labels, 3).float()
    torch.manual_seed(0)
    hard_adv = PGDAttack('linf', 4 / 255)(model, inputs, labels)
    torch.manual_seed(0)
    soft_adv = PGDAttack('linf', 4 / 255)(model, inputs, soft)
    torch.testing.assert_close(soft_adv, hard_adv)


@pytest.mark.parametrize('bn_mode', ['eval', 'train'])
def test_model_left_as_it_was(bn_mode):
    model, _, inputs, labels = model_and_batch()
    model.train()
    bn = model.backbone.bn1
    before = {k: v.clone() for k, v in bn.named_buffers()}
    seen = []
    hook = bn.register_forward_hook(lambda m, i, o: seen.append(m.training))
    PGDAttack('l2', 0.5, steps=3, bn_mode=bn_mode)(model, inputs, labels)
    hook.remove()
    assert seen == [bn_mode == 'train'] * 3
    assert model.training and bn.training
    for k, v in bn.named_buffers():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize('kwargs,match', [
    (dict(norm='l1', eps=1.0), 'norm'),
    (dict(norm='linf', eps=-1.0), 'eps'),
    (dict(norm='l2', eps=0.5, steps=0), 'steps'),
    (dict(norm='l2', eps=0.5, bn_mode='frozen'), 'bn_mode'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PGDAttack(**kwargs)


def test_name():
    assert PGDAttack('linf', 4 / 255).name == 'pgd10-linf-4/255'
    assert PGDAttack('l2', 0.5, steps=7).name == 'pgd7-l2-0.5'
