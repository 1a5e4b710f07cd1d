"""TPGMHook (Trainable Projected Gradient Method): against the official
code's procedure in float64, the head left free, bad configs refused, and
the demo config trained, stopped and resumed."""
import copy
import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger

from mmctune.engine.hooks import TPGMHook
from ...conftest import (tiny_classifier, train_whole_and_resumed,
                         write_tiny_config)

B1, B2, EPS = 0.9, 0.999, 1e-8


def tiny_model():
    """The tiny ResNet classifier, seeded, in float64."""
    return tiny_classifier(
        data_preprocessor=dict(
            type='mmpretrain.ClsDataPreprocessor')).double()


def train_update(model, t):
    """A stand-in for the training step at iteration ``t``: every
    parameter moves by seeded noise, larger on the first rows, so that
    rows' distances differ."""
    g = torch.Generator().manual_seed(100 + t)
    with torch.no_grad():
        for p in model.parameters():
            scale = torch.linspace(3e-3, 3e-4, p.shape[0], dtype=p.dtype)
            scale = scale.reshape(-1, *[1] * (p.dim() - 1))
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))


def batches(n):
    """``n`` fixed batches of the projection data, as the data
    preprocessor gives them (float64 images, 3 classes)."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(7)
    out = []
    for _ in range(n):
        labels = torch.randint(0, 3, (6, ), generator=g)
        out.append(
            dict(
                inputs=torch.randn(
                    6, 1, 8, 8, generator=g, dtype=torch.float64) +
                labels.reshape(-1, 1, 1, 1).double(),
                data_samples=[
                    DataSample().set_gt_label(int(y)) for y in labels
                ]))
    return out


def row_norms(c, norm):
    """Each row's L1 norm (a 1-d tensor: one row), or the tensor's L2 norm,
    in Python floats."""
    if norm == 'l2':
        return [math.sqrt(sum(float(x)**2 for x in c.flatten()))]
    c = c.detach()
    rows = c.reshape(c.shape[0], -1) if c.dim() > 1 else c.reshape(1, -1)
    return [sum(abs(float(x)) for x in row) for row in rows]


def reference(steps, norm, proj_freq, max_iters, lr):
    """The official code's procedure (utils/tpgm.py's tpgm_trainer):
    a deep copy of the model in eval mode whose projected parameters are
    overwritten, in the graph, by the projection; the radii's Adam written
    out in Python floats. Returns the model and what the radii met."""
    model = tiny_model()
    anchors = {n: p.detach().clone() for n, p in model.named_parameters()}
    names = [
        n for n, _ in model.named_parameters() if n.startswith('backbone.')
    ]
    radius = {n: 0.0 for n in names}
    moments = {n: [0.0, 0.0, 0] for n in names}
    data = batches(steps * max_iters)
    init, met = True, set()

    def clipped(n, norms):
        nonlocal init
        if init:
            radius[n] = min(norms) / 2
        if radius[n] > max(norms):
            met.add('capped')
        radius[n] = min(max(radius[n], 1e-8), max(norms))
        return radius[n]

    for t in range(steps):
        train_update(model, t)
        if t % proj_freq == 0:
            for k in range(max_iters):
                new = copy.deepcopy(model)
                new.eval()
                gammas = {}
                params = dict(new.named_parameters())
                for n in names:
                    p = params[n]
                    c = p.detach() - anchors[n]
                    norms = row_norms(c, norm)
                    gamma = torch.tensor(
                        clipped(n, norms),
                        dtype=torch.float64,
                        requires_grad=True)
                    shape = [-1] + [1] * (c.dim() - 1) if norm == 'mars' \
                        else []
                    n_t = torch.tensor(norms, dtype=torch.float64)
                    ratio = F.hardtanh(gamma / (n_t.reshape(shape) + 1e-8),
                                       0.0, 1.0)
                    p.requires_grad = False
                    p.copy_(anchors[n] + c * ratio)
                    gammas[n] = gamma
                init = False
                batch = data[t * max_iters + k]
                logits = new(batch['inputs'], mode='tensor')
                labels = torch.cat([s.gt_label for s in batch['data_samples']])
                F.cross_entropy(logits, labels).backward()
                for n in names:
                    grad = gammas[n].grad
                    if grad is None:
                        continue
                    grad = float(grad)
                    s = moments[n]
                    s[2] += 1
                    s[0] = B1 * s[0] + (1 - B1) * grad
                    s[1] = B2 * s[1] + (1 - B2) * grad * grad
                    m_hat = s[0] / (1 - B1**s[2])
                    v_hat = s[1] / (1 - B2**s[2])
                    radius[n] -= lr * m_hat / (math.sqrt(v_hat) + EPS)
        params = dict(model.named_parameters())
        with torch.no_grad():
            for n in names:
                c = params[n] - anchors[n]
                norms = row_norms(c, norm)
                gamma = clipped(n, norms)
                init = False
                ratios = [
                    min(1.0, max(0.0, gamma / (x + 1e-8))) for x in norms
                ]
                met.add('free rows' if max(ratios) == 1.0 else 'all clipped')
                if min(ratios) < 1.0:
                    met.add('clipped rows')
                r = torch.tensor(ratios, dtype=torch.float64)
                if norm == 'mars':
                    r = r.reshape([-1] + [1] * (c.dim() - 1))
                params[n].copy_(anchors[n] + c * r)
    return model, met


def ours(steps, start=None, **kwargs):
    """The hook after the same stand-in steps, with a stub runner."""
    model = tiny_model()
    hook = TPGMHook(dataloader=dict(dataset=dict(), batch_size=6), **kwargs)
    data = batches(steps * hook.max_iters)
    hook._build_data = lambda runner: setattr(hook, '_data', ([None], None, 6))
    hook._batch = lambda model, runner, draw: data[draw]
    runner = SimpleNamespace(
        model=model, seed=0, iter=0, logger=MMLogger.get_current_instance())
    first = 0
    if start is not None:
        weights, checkpoint, first = start
        model.load_state_dict(weights)
        hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    for t in range(first, steps):
        runner.iter = t
        train_update(model, t)
        hook.after_train_iter(runner, batch_idx=t)
    return model, hook, runner


@pytest.mark.parametrize('norm,proj_freq,max_iters,lr', [
    ('mars', 1, 1, 1e-2),
    ('mars', 2, 2, 1e-3),
    ('l2', 1, 1, 1e-2),
])
def test_tpgm_equals_the_official_procedure_in_float64(norm, proj_freq,
                                                       max_iters, lr):
    kwargs = dict(norm=norm, proj_freq=proj_freq, max_iters=max_iters, lr=lr)
    want, met = reference(5, **kwargs)
    got, hook, _ = ours(5, **kwargs)
    # the cases the test covers: radii above the largest distance clipped
    # to it, rows pulled in and rows left where they are
    assert 'capped' in met and 'clipped rows' in met
    if norm == 'mars':
        assert 'free rows' in met
    want, got = dict(want.named_parameters()), dict(got.named_parameters())
    for name in want:
        torch.testing.assert_close(
            got[name], want[name], rtol=1e-10, atol=1e-12, msg=name)
    assert sorted(hook.radii) == sorted(
        n for n in want if n.startswith('backbone.'))


def test_the_head_is_left_free_and_the_backbone_pulled_back():
    model, hook, _ = ours(3)
    free = tiny_model()
    for t in range(3):
        train_update(free, t)
    got, plain = dict(model.named_parameters()), dict(free.named_parameters())
    for name in ('head.fc.weight', 'head.fc.bias'):
        assert torch.equal(got[name], plain[name])
    # every backbone tensor within its radius of the pre-trained weights
    start = dict(tiny_model().named_parameters())
    pulled = 0
    for name, radius in hook.radii.items():
        dist = row_norms(got[name].detach() - start[name], 'mars')
        assert max(dist) <= float(radius.detach()) * (1 + 1e-9) + 1e-12
        pulled += got[name].ne(plain[name]).any().item()
    assert pulled == len(hook.radii)


def test_resumed_equals_uninterrupted():
    whole, _, _ = ours(6, proj_freq=2)
    half, hook, runner = ours(3, proj_freq=2)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    saved = copy.deepcopy((half.state_dict(), checkpoint, 3))
    resumed, _, _ = ours(6, start=saved, proj_freq=2)
    for (name, a), b in zip(whole.named_parameters(), resumed.parameters()):
        assert torch.equal(a, b), name


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='projection data'):
        TPGMHook(dataloader=None)
    # loader keys the hook would not use are refused, not ignored
    with pytest.raises(
            ValueError, match="\\['num_workers'\\] would be ignored"):
        TPGMHook(dataloader=dict(dataset=dict(), batch_size=8, num_workers=4))
    with pytest.raises(ValueError, match='batch_size .* must be an int'):
        TPGMHook(dataloader=dict(dataset=dict()))
    with pytest.raises(ValueError, match="norm must be 'mars' or 'l2'"):
        TPGMHook(dataloader=dict(dataset=dict(), batch_size=8), norm='l1')
    with pytest.raises(ValueError, match='proj_freq must be an int >= 1'):
        TPGMHook(dataloader=dict(dataset=dict(), batch_size=8), proj_freq=0)
    _, hook, runner = ours(0)
    hook.prefixes = ('encoder', )
    with pytest.raises(ValueError, match="starts with \\('encoder',\\)"):
        hook.before_train(runner)
    with pytest.raises(ValueError, match='load_from instead of --resume'):
        hook.after_load_checkpoint(runner, {})


def test_demo_config_trains_and_resumes(tiny_fmnist, tmp_path):
    """configs/tpgm/r18-tiny_simclr_fmnist.py through tools/train.py on the
    tiny Fashion-MNIST (its projection data: the last 16 of the 64 training
    images), stopped after epoch 1 and resumed: the same weights as the
    uninterrupted run, bit for bit."""
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/tpgm/r18-tiny_simclr_fmnist.py',
        extra=f"""
custom_hooks = [dict(_base_.tpgm_hook, dataloader=dict(batch_size=8,
    dataset=dict(type='mmpretrain.FashionMNIST', data_root={tiny_fmnist!r},
                 split='train', indices=list(range(48, 64)),
                 pipeline=[dict(type='mmpretrain.PackInputs')])))]
train_cfg = dict(max_epochs=2, val_interval=2)
randomness = dict(seed=0)
train_dataloader = dict(
    batch_size=16,
    dataset=dict(data_root={tiny_fmnist!r}, indices=48,
                 pipeline=[dict(type='mmpretrain.PackInputs')]))
param_scheduler = dict(T_max=2, end=2)
""")
    whole, parts, (first, _, resumed) = train_whole_and_resumed(
        cfg, tmp_path, ['train_cfg.max_epochs=1', 'param_scheduler.end=2'])
    assert ('TPGMHook: 60 parameter tensors projected towards their '
            'pre-trained values (mars norm), the radii learned on 16 '
            'held-out images') in first
    assert 'resumed epoch: 1' in resumed
    a = torch.load(osp.join(whole, 'epoch_2.pth'), weights_only=False)
    b = torch.load(osp.join(parts, 'epoch_2.pth'), weights_only=False)
    # bit for bit: the weights, the radii and their Adam state
    for k in a['state_dict']:
        assert torch.equal(a['state_dict'][k], b['state_dict'][k]), k
    for k in a['tpgm']['radii']:
        assert torch.equal(a['tpgm']['radii'][k], b['tpgm']['radii'][k]), k
