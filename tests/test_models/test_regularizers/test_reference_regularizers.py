"""L2-SP and DELTA on a tiny ResNet inside RegularizedClassifier: zero at the
pre-trained model, growing with the distance to it; DELTA's attention."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmctune.models.regularizers import reference as reference_regularizers
from ...conftest import tiny_classifier


def tiny(regularizers, **kwargs):
    return tiny_classifier(
        'RegularizedClassifier', regularizers=regularizers, **kwargs)


def batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = torch.arange(n) % 3
    return x, [DataSample().set_gt_label(int(c)) for c in y], y


def shift_backbone(model, scale, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))


def test_l2sp_is_zero_at_the_pretrained_weights_and_quadratic_in_distance():
    model = tiny([dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
    x, samples, _ = batch()
    losses = model.loss(x, samples)
    assert losses['loss_l2sp'].item() == 0
    head = 0.5 * sum(p.pow(2).sum() for p in model.head.parameters())
    assert losses['loss_head_l2'].item() == pytest.approx(0.01 * head.item())

    values = []
    for scale in (0.1, 0.2):
        m = tiny([dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
        shift_backbone(m, scale)
        loss = m.loss(x, samples)['loss_l2sp']
        # parameters only (the reference's buffers hold BN statistics too)
        ref = dict(m.reference.named_buffers())
        dist = sum((p - ref[n]).pow(2).sum()
                   for n, p in m.backbone.named_parameters())
        assert loss.item() == pytest.approx(0.005 * dist.item(), rel=1e-5)
        values.append(loss.item())
    assert values[1] == pytest.approx(4 * values[0], rel=1e-4)


def test_reference_is_off_the_optimizer_and_in_the_checkpoint():
    model = tiny([dict(type='L2SPRegularizer')])
    params = {id(p) for p in model.parameters()}
    assert all(id(b) not in params for b in model.reference.buffers())
    assert not any(
        n.startswith('reference.') for n, _ in model.named_parameters())
    keys = model.state_dict().keys()
    assert 'reference.conv1.weight' in keys
    # the snapshot equals the initialised backbone, and stays in eval mode
    torch.testing.assert_close(model.reference.conv1.weight,
                               model.backbone.conv1.weight)
    model.train()
    assert model.backbone.training and not model.reference.training
    # gradients never reach the reference
    x, samples, _ = batch()
    sum(model.loss(x, samples).values()).backward()
    assert model.reference.conv1.weight.grad is None


def test_reference_is_restored_from_a_checkpoint():
    model = tiny([dict(type='L2SPRegularizer')])
    shift_backbone(model, 0.1)
    state = model.state_dict()
    other = tiny([dict(type='L2SPRegularizer')])
    with torch.no_grad():
        for b in other.reference.buffers():
            if b.is_floating_point():
                b.add_(1.0)
    other.load_state_dict(state)
    x, samples, _ = batch()
    assert other.loss(x, samples)['loss_l2sp'].item() == pytest.approx(
        model.loss(x, samples)['loss_l2sp'].item())


def test_delta_is_zero_when_the_features_agree():
    model = tiny([dict(type='DELTARegularizer', attention=False)])
    model.eval()  # same BN statistics as the reference
    x, samples, _ = batch()
    assert model.loss(x, samples)['loss_delta'].item() == 0
    shift_backbone(model, 0.05)
    assert model.loss(x, samples)['loss_delta'].item() > 0


def test_delta_equals_its_formula():
    model = tiny([dict(type='DELTARegularizer', alpha=0.02, attention=False)])
    model.eval()
    shift_backbone(model, 0.05)
    x, samples, _ = batch()
    total = 0.0

    def stem(m, t):  # then the stages, one after the other
        return m.relu(m.norm1(m.conv1(t)))

    feats, ref_feats = stem(model.backbone, x), stem(model.reference, x)
    for name in ('layer1', 'layer2', 'layer3', 'layer4'):
        feats = getattr(model.backbone, name)(feats)
        ref_feats = getattr(model.reference, name)(ref_feats)
        b, c, h, w = feats.shape
        att = torch.full((c, ), 1.0 / c)
        for i in range(b):
            for j in range(c):
                d = (feats[i, j] - ref_feats[i, j]).pow(2).sum()
                total += c * att[j] * d / (h * w)
    expected = 0.5 * 0.02 * total
    got = model.loss(x, samples)['loss_delta']
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)


def test_delta_needs_its_attention():
    model = tiny([dict(type='DELTARegularizer')])
    x, samples, _ = batch()
    with pytest.raises(RuntimeError, match='DELTAAttentionHook'):
        model.loss(x, samples)


def test_delta_attention_fast_path_equals_zeroing_in_a_full_forward(
        monkeypatch):
    model = tiny([dict(type='DELTARegularizer')])
    reg = model.regularizers[0]
    batches = [(batch(n=9, seed=s)[0], batch(n=9, seed=s)[2])
               for s in range(2)]
    reg.compute_attention(model, batches)
    fast = [a.clone() for a in reg.attention_weights()]
    assert bool(reg.attention_ready)
    for a in fast:
        assert a.sum().item() == pytest.approx(1.0, rel=1e-5)
        assert (a > 0).all() and a.std() > 0
    # the generic path: a forward hook zeroes the channel in a full forward
    monkeypatch.setattr(reference_regularizers, '_is_resnet_stages',
                        lambda *args: False)
    reg.compute_attention(model, batches)
    for a, b in zip(fast, reg.attention_weights()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_delta_attention_favours_the_channel_the_classifier_needs():
    """A channel that carries the label is the most attended one."""
    model = tiny([dict(type='DELTARegularizer', layers=['layer4'])])
    reg = model.regularizers[0]
    y = torch.arange(30) % 3
    x = torch.randn(30, 1, 8, 8, generator=torch.Generator().manual_seed(0))

    def plant(mod, args, out):  # channel 5 of layer4's output is the label
        out = out * 0.01
        out[:, 5] = (y.float()[:, None, None] - 1) * 10
        return out

    model.reference.layer4.register_forward_hook(plant)
    reg.compute_attention(model, [(x, y)])
    att = reg.attention_weights()[0]
    assert att.argmax().item() == 5


def test_unknown_layer_is_an_error():
    with pytest.raises(KeyError, match='nolayer'):
        tiny([dict(type='DELTARegularizer', layers=['nolayer'])])
    with pytest.raises(ValueError, match='regularizers'):
        tiny([])


def test_your_own_regularizer_goes_through_the_documented_life_cycle():
    """A BaseRegularizer subclass: set up once with the built model, its
    layers captured every step, its losses added to the head's; no
    reference copy is made when no regulariser needs one."""
    import torch.nn as nn

    from mmctune.models.regularizers import BaseRegularizer
    from mmctune.registry import MODELS

    @MODELS.register_module(force=True)
    class _MeanSquare(BaseRegularizer):
        needs_reference = False

        def setup(self, model):
            self.calls = getattr(self, 'calls', 0) + 1
            self.register_buffer('scale', torch.tensor(2.0))

        def layers(self, model):
            return ['layer1']

        def forward(self, model, fmaps, ref_fmaps):
            assert ref_fmaps == {}
            return dict(loss_ms=self.scale * fmaps['layer1'].pow(2).mean())

    model = tiny([dict(type='_MeanSquare')])
    reg = model.regularizers[0]
    assert reg.calls == 1 and model.reference is None
    assert 'regularizers.0.scale' in model.state_dict()
    x, samples, _ = batch()
    losses = model.loss(x, samples)
    stem = model.backbone.relu(model.backbone.norm1(model.backbone.conv1(x)))
    want = 2.0 * model.backbone.layer1(stem).pow(2).mean()
    torch.testing.assert_close(losses['loss_ms'], want)
    assert 'loss_ce' in losses

    class NotOne(nn.Module):

        def forward(self, *args):
            return {}

    MODELS.register_module(name='_NotARegularizer', module=NotOne, force=True)
    with pytest.raises(
            TypeError,
            match='not a mmctune.models.regularizers'
            '.BaseRegularizer'):
        tiny([dict(type='_NotARegularizer')])
