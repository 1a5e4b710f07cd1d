"""StochNorm against its two branches computed by hand in float64; BN's
names, registry and checkpoints."""
import pytest
import torch
import torch.nn as nn

from mmctune.models.layers import (StochNorm1d, StochNorm2d,
                                   convert_to_stochnorm)
from mmctune.registry import MODELS


def layer(c, p, seed=0, cls=StochNorm2d):
    """A StochNorm layer with affine parameters and moving statistics that
    differ from the identity and from any batch's."""
    g = torch.Generator().manual_seed(seed)
    sn = cls(c, p=p)
    with torch.no_grad():
        sn.weight.copy_(torch.rand(c, generator=g) + 0.5)
        sn.bias.copy_(torch.randn(c, generator=g))
        sn.running_mean.copy_(torch.randn(c, generator=g))
        sn.running_var.copy_(torch.rand(c, generator=g) + 0.5)
    return sn


def branches(sn, x):
    """(moving-statistics branch, mini-batch branch) in float64, per the
    formula: (x - mean) / sqrt(var + eps) * weight + bias, the moving
    statistics as they are before the batch, the batch variance biased."""
    x = x.double()
    dims = [0] + list(range(2, x.dim()))
    shape = [1, -1] + [1] * (x.dim() - 2)
    w, b = sn.weight.double().view(shape), sn.bias.double().view(shape)

    def norm(mean, var):
        return (x - mean.view(shape)) / (var.view(shape) + sn.eps).sqrt()

    moving = norm(sn.running_mean.double(), sn.running_var.double())
    mean = x.mean(dim=dims)
    var = x.var(dim=dims, unbiased=False)
    return moving * w + b, norm(mean, var) * w + b


def test_p1_is_batchnorm_and_p0_the_moving_statistics():
    x = torch.randn(8, 5, 3, 3, generator=torch.Generator().manual_seed(1))
    for p, which in ((1.0, 1), (0.0, 0)):
        sn = layer(5, p)
        bn = nn.BatchNorm2d(5)
        bn.load_state_dict(sn.state_dict())
        expected = branches(sn, x)[which]
        out = sn.train()(x)
        torch.testing.assert_close(
            out.double(), expected, atol=1e-5, rtol=1e-5)
        # the moving statistics are updated from the batch as by BN
        bn.train()(x)
        for name in ('running_mean', 'running_var', 'num_batches_tracked'):
            torch.testing.assert_close(getattr(sn, name), getattr(bn, name))


def test_gradient_of_the_moving_branch_treats_the_statistics_as_constants():
    x = torch.randn(
        6,
        4,
        2,
        2,
        generator=torch.Generator().manual_seed(2),
        requires_grad=True)
    sn = layer(4, p=0.0)
    scale = sn.weight / (sn.running_var + sn.eps).sqrt()
    xhat = (x - sn.running_mean.view(1, -1, 1, 1)) / (
        sn.running_var + sn.eps).sqrt().view(1, -1, 1, 1)
    dy = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    sn.train()(x).backward(dy)
    torch.testing.assert_close(x.grad, dy * scale.view(1, -1, 1, 1))
    torch.testing.assert_close(sn.weight.grad,
                               (dy * xhat).sum(dim=(0, 2, 3)).detach())
    torch.testing.assert_close(sn.bias.grad, dy.sum(dim=(0, 2, 3)))


def test_each_channel_takes_one_branch_with_probability_p():
    c = 4000
    x = torch.randn(4, c, 2, generator=torch.Generator().manual_seed(4))
    for p in (0.5, 0.2):
        sn = layer(c, p, cls=StochNorm1d)
        moving, batch = branches(sn, x)
        torch.manual_seed(0)
        out = sn.train()(x).double()
        on_moving = ((out - moving).abs() < 1e-4).all(dim=(0, 2))
        on_batch = ((out - batch).abs() < 1e-4).all(dim=(0, 2))
        assert bool((on_moving ^ on_batch).all())  # one branch, not both
        # 4000 Bernoulli(p) draws: 6 standard deviations (p = 0.5: 0.047)
        tol = 6 * (p * (1 - p) / c)**0.5
        assert abs(on_batch.double().mean().item() - p) < tol
        # a new mask at every step, the same one for the same seed
        sn2 = layer(c, p, cls=StochNorm1d)
        torch.manual_seed(0)
        torch.testing.assert_close(sn2.train()(x).double(), out)
        assert not torch.equal(sn2(x).double(), out)


def test_eval_is_batchnorm_with_the_moving_statistics():
    x = torch.randn(3, 5, 4, 4)
    sn = layer(5, 0.5)
    torch.testing.assert_close(
        sn.eval()(x).double(), branches(sn, x)[0], atol=1e-5, rtol=1e-5)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='in \\[0, 1\\]'):
        StochNorm2d(4, p=1.5)
    with pytest.raises(ValueError, match='track_running_stats'):
        StochNorm2d(4, track_running_stats=False)
    with pytest.raises(TypeError, match='SyncBatchNorm'):
        convert_to_stochnorm(nn.Sequential(nn.SyncBatchNorm(4)))


def resnet(norm_cfg=None, scope='mmctune', **kwargs):
    from mmengine.registry import DefaultScope
    cfg = dict(
        type='mmpretrain.ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=4,
        base_channels=4,
        **kwargs)
    if norm_cfg:
        cfg['norm_cfg'] = norm_cfg
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('scope,type_',
                         [('mmctune', 'StochNorm2d'),
                          ('mmpretrain', 'mmctune.StochNorm2d')])
def test_norm_cfg_of_an_mmpretrain_backbone_and_bn_checkpoints(scope, type_):
    """``norm_cfg=dict(type='StochNorm2d')`` replaces every BN, under BN's
    names (in the mmctune scope; ``'mmctune.StochNorm2d'`` from another);
    a BN backbone's state dict loads strictly and gives the same evaluation
    outputs."""
    bn = resnet()
    sn = resnet(dict(type=type_, p=0.3), scope=scope)
    norms = [m for m in sn.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(type(m) is StochNorm2d and m.p == 0.3 for m in norms)
    assert hasattr(sn, 'bn1') and sn.norm1_name == 'bn1'
    assert list(sn.state_dict()) == list(bn.state_dict())
    with torch.no_grad():  # statistics a pre-training would have left
        for m in bn.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 1.5)
    sn.load_state_dict(bn.state_dict(), strict=True)
    x = torch.randn(2, 1, 8, 8)
    sn.eval()  # (mmpretrain's ResNet.train returns None)
    bn.eval()
    torch.testing.assert_close(sn(x)[0], bn(x)[0])
    # and back: a StochNorm checkpoint is a BN checkpoint
    bn.load_state_dict(sn.state_dict(), strict=True)


def test_mobilenet_v2_takes_it_too():
    model = MODELS.build(
        dict(
            type='mmpretrain.MobileNetV2',
            widen_factor=0.25,
            norm_cfg=dict(type='StochNorm2d')))
    assert all(
        type(m) is StochNorm2d for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm))
    model.train()
    out = model(torch.randn(2, 3, 32, 32))[0]
    assert out.shape[0] == 2 and torch.isfinite(out).all()


def test_norm_eval_keeps_them_in_eval_mode():
    sn = resnet(dict(type='StochNorm2d'), norm_eval=True)
    sn.train()
    x = torch.randn(2, 1, 8, 8)
    before = sn.bn1.running_mean.clone()
    torch.testing.assert_close(sn(x)[0], sn(x)[0])  # deterministic
    torch.testing.assert_close(sn.bn1.running_mean, before)


def test_convert_to_stochnorm_keeps_the_tensors():
    bn = resnet()
    with torch.no_grad():
        bn.bn1.running_mean.normal_()
        bn.layer1[0].bn1.weight.normal_()
    bn.layer1[0].bn2.weight.requires_grad_(False)
    state = {k: v.clone() for k, v in bn.state_dict().items()}
    x = torch.randn(2, 1, 8, 8)
    bn.eval()
    expected = bn(x)[0]
    sn = convert_to_stochnorm(bn, p=0.7)
    norms = [m for m in sn.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(type(m) is StochNorm2d and m.p == 0.7 for m in norms)
    assert not sn.layer1[0].bn2.weight.requires_grad
    for k, v in sn.state_dict().items():
        torch.testing.assert_close(v, state[k], msg=k)
    assert not any(m.training for m in norms)  # the mode is kept
    torch.testing.assert_close(sn(x)[0], expected)
    single = convert_to_stochnorm(nn.BatchNorm1d(3), p=0.1)
    assert type(single) is StochNorm1d and single.p == 0.1
