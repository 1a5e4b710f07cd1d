"""SplitBatchNorm2d (the one-GPU emulation of several GPUs' BN, for HCSC's
shuffle-BN): per-group statistics against a loop of plain BN over the
groups, the running statistics, evaluation and the state dict as BN's."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmctune.models.layers import SplitBatchNorm2d


def groups_loop(x, weight, bias, splits, eps):
    """BN in training mode of each group i = g (mod splits) on its own,
    written out sample by sample: float64 mean and biased variance."""
    out = torch.empty_like(x)
    means, variances = [], []
    for g in range(splits):
        idx = list(range(g, x.size(0), splits))
        xg = x[idx]
        mean = xg.mean(dim=(0, 2, 3))
        var = ((xg - mean[None, :, None, None])**2).mean(dim=(0, 2, 3))
        for i in idx:
            out[i] = (x[i] - mean[:, None, None]) / torch.sqrt(
                var[:, None, None] + eps) * weight[:, None, None] + \
                bias[:, None, None]
        n = xg.numel() // xg.size(1)
        means.append(mean)
        variances.append(var * n / (n - 1))  # BN's running var: unbiased
    return out, torch.stack(means), torch.stack(variances)


@pytest.mark.parametrize('splits', [1, 2, 8])
def test_per_group_statistics_against_a_loop(splits):
    torch.manual_seed(0)
    bn = SplitBatchNorm2d(3, num_splits=splits, momentum=0.1).double()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    # groups that differ: each sample shifted by its own offset
    x = torch.randn(16, 3, 5, 4, dtype=torch.float64) + \
        torch.arange(16, dtype=torch.float64)[:, None, None, None]
    rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
    out = bn.train()(x)
    expected, means, variances = groups_loop(x, bn.weight.detach(),
                                             bn.bias.detach(), splits, bn.eps)
    torch.testing.assert_close(out, expected)
    # running statistics: the mean over the groups of each group's update
    torch.testing.assert_close(bn.running_mean,
                               (0.9 * rm0 + 0.1 * means).mean(dim=0))
    torch.testing.assert_close(bn.running_var,
                               (0.9 * rv0 + 0.1 * variances).mean(dim=0))
    assert int(bn.num_batches_tracked) == 1
    if splits > 1:
        # not plain BN over the whole batch
        whole = F.batch_norm(x, None, None, bn.weight, bn.bias, True)
        assert not torch.allclose(out, whole)
    # gradients reach the affine parameters of the one layer
    out.sum().backward()
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_eval_and_state_dict_are_batchnorms():
    torch.manual_seed(0)
    split = SplitBatchNorm2d(3, num_splits=4)
    split.train()(torch.randn(8, 3, 2, 2))
    plain = nn.BatchNorm2d(3)
    plain.load_state_dict(split.state_dict())  # strict: the same keys
    x = torch.randn(5, 3, 2, 2)  # any batch at evaluation
    torch.testing.assert_close(split.eval()(x), plain.eval()(x))
    with pytest.raises(ValueError, match='equal groups'):
        split.train()(torch.randn(6, 3, 2, 2))


def test_builds_as_a_backbones_norm_layer():
    from mmctune.registry import MODELS
    backbone = MODELS.build(
        dict(
            type='mmpretrain.ResNet_CIFAR',
            depth=18,
            stem_channels=4,
            base_channels=4,
            norm_cfg=dict(type='SplitBatchNorm2d', num_splits=8)))
    norms = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(
        isinstance(m, SplitBatchNorm2d) and m.num_splits == 8 for m in norms)
    # named bn*, as plain BN: checkpoints keep their keys
    assert 'bn1.weight' in backbone.layer1[0].state_dict()
