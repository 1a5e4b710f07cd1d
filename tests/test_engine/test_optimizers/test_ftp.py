"""FTP (Fast Trainable Projection): FTPSGD and FTPAdamW against a loop of
the formula in float64, their first step, resume, and the config path."""
import copy
import math

import pytest
import torch
from torch import nn

from mmctune.engine.optimizers import FTPSGD, FTPAdamW

MU, B1, B2 = 1e-2, 0.9, 0.999


def make_params(seed=0):
    """A conv weight, a linear weight and a bias (projected: the
    'pre-trained' part) and a head weight (not projected)."""
    g = torch.Generator().manual_seed(seed)
    shapes = dict(conv=(3, 2, 2, 2), fc=(3, 4), bias=(3, ), head=(2, 3))
    return {
        k: torch.randn(s, generator=g, dtype=torch.float64)
        for k, s in shapes.items()
    }


def quadratic(offset=0.005, seed=1):
    """L = sum 0.5 ||a * w - b||^2 per tensor; its gradient a * (a w - b).
    The minimum lies a little away from the start, so the constraint first
    grows (a negative gradient) and then overshoots it (a positive one)."""
    g = torch.Generator().manual_seed(seed)
    params = make_params()
    a = {
        k: torch.rand(v.shape, generator=g, dtype=v.dtype) + 0.5
        for k, v in params.items()
    }
    b = {
        k:
        a[k] * (v + offset * torch.randn(v.shape, generator=g, dtype=v.dtype))
        for k, v in params.items()
    }
    return lambda k, w: a[k] * (a[k] * w - b[k])


def rows(t):
    """One list of floats per output row (a 1-d tensor: one row)."""
    t = t.reshape(t.shape[0], -1) if t.dim() > 1 else t.reshape(1, -1)
    return [[float(x) for x in row] for row in t]


def reference(optimizer,
              steps,
              lr,
              k,
              weight_decay,
              momentum=0.0,
              betas=(0.9, 0.999),
              eps=1e-8,
              offset=0.005):
    """The FTP step written out from its formula, row by row in Python
    floats: the optimizer's unprojected update, then
    w = w0 + clip(gamma / ||c||_1,row, 0, 1) c, with gamma's Adam step on
    sum_rows <grad, c_prev>_row / n_prev (positive: times k), clipped to
    [1e-8, max n]. Returns the weights and what gamma's steps met:
    'pushed out' (a negative gradient), 'pulled in' (a positive one, times
    k), 'capped' (above max n, clipped to it).
    """
    grad_of = quadratic(offset)
    w = make_params()
    w0 = {k_: v.clone() for k_, v in w.items() if k_ != 'head'}
    st = {k_: {} for k_ in w}
    met = set()
    for t in range(1, steps + 1):
        for name in w:
            g = grad_of(name, w[name])
            s = st[name]
            if optimizer == 'sgd':
                d = g + weight_decay * w[name]
                s['buf'] = d if t == 1 else momentum * s['buf'] + d
                new = w[name] - lr * s['buf']
            else:  # AdamW: decoupled decay, Adam step
                m = s.get('m', 0) * betas[0] + (1 - betas[0]) * g
                v = s.get('v', 0) * betas[1] + (1 - betas[1]) * g * g
                s['m'], s['v'] = m, v
                denom = (v.sqrt() / math.sqrt(1 - betas[1]**t)) + eps
                new = (
                    w[name] - lr * weight_decay * w[name] - lr /
                    (1 - betas[0]**t) * m / denom)
            if name == 'head':
                w[name] = new
                continue
            c = rows(new - w0[name])
            n = [sum(abs(x) for x in row) + 1e-8 for row in c]
            if t == 1:
                gamma, s['gm'], s['gv'] = 1e-8, 0.0, 0.0
            else:
                gg = sum(
                    sum(gi * ci for gi, ci in zip(grow, crow)) / n_r
                    for grow, crow, n_r in zip(rows(g), s['c'], s['n']))
                met.add('pulled in' if gg > 0 else 'pushed out')
                if gg > 0:
                    gg *= k
                s['gm'] = B1 * s['gm'] + (1 - B1) * gg
                s['gv'] = B2 * s['gv'] + (1 - B2) * gg * gg
                m_hat = s['gm'] / (1 - B1**t)
                v_hat = s['gv'] / (1 - B2**t)
                gamma = s['gamma'] - MU * m_hat / (math.sqrt(v_hat) + 1e-8)
                if gamma > max(n):
                    met.add('capped')
                gamma = min(max(gamma, 1e-8), max(n))
            s['gamma'], s['c'], s['n'] = gamma, c, n
            out = [[
                w0_x + min(1.0, max(0.0, gamma / n_r)) * c_x
                for w0_x, c_x in zip(w0_row, c_row)
            ] for w0_row, c_row, n_r in zip(rows(w0[name]), c, n)]
            w[name] = torch.tensor(
                out, dtype=torch.float64).reshape(w[name].shape)
    return w, met


def ours(cls, steps, start=None, offset=0.005, **kwargs):
    """The optimizer under test on the same problem: (params, optimizer)."""
    grad_of = quadratic(offset)
    params = {k: nn.Parameter(v) for k, v in make_params().items()}
    groups = [
        dict(params=[p], ftp=name != 'head') for name, p in params.items()
    ]
    opt = cls(groups, **kwargs)
    if start is not None:
        for name, p in params.items():
            p.data.copy_(start[0][name])
        opt.load_state_dict(start[1])
    for _ in range(steps):
        for name, p in params.items():
            p.grad = grad_of(name, p.detach())
        opt.step()
    return params, opt


SGD = dict(lr=0.05, momentum=0.9, weight_decay=1e-3)
ADAMW = dict(lr=0.02, weight_decay=1e-2)


@pytest.mark.parametrize(
    'cls,kind,kwargs,offset,meets',
    [
        (FTPSGD, 'sgd', SGD, 0.005, {'pushed out', 'pulled in'}),
        (FTPAdamW, 'adam', ADAMW, 0.005, {'pushed out', 'pulled in'}),
        # a minimum next to the start: gamma outgrows the distances
        (FTPSGD, 'sgd', SGD, 1e-4, {'capped'}),
    ])
def test_ftp_equals_the_formula_in_float64(cls, kind, kwargs, offset, meets):
    steps, k = 12, 0.5
    expected, met = reference(kind, steps, k=k, offset=offset, **kwargs)
    assert meets <= met  # the branches this case is for were taken
    params, opt = ours(cls, steps, k=k, offset=offset, **kwargs)
    for name, p in params.items():
        torch.testing.assert_close(
            p.detach(), expected[name], rtol=1e-10, atol=1e-12)
    # the projection acted: each row of each projected tensor is within
    # its constraint (L1) of the pre-trained values, and the weights are not
    # the plain optimizer's
    start = make_params()
    for name in ('conv', 'fc', 'bias'):
        gamma = float(opt.state[params[name]]['ftp_gamma'])
        dist = torch.tensor([
            sum(abs(x) for x in row)
            for row in rows(params[name].detach() - start[name])
        ])
        assert (dist <= gamma * (1 + 1e-9)).all()
    free = {k_: nn.Parameter(v) for k_, v in make_params().items()}
    base = (torch.optim.SGD if kind == 'sgd' else torch.optim.AdamW)(list(
        free.values()), **kwargs)
    grad_of = quadratic(offset)
    for _ in range(steps):
        for name, p in free.items():
            p.grad = grad_of(name, p.detach())
        base.step()
    for name in ('conv', 'fc', 'bias'):
        assert not torch.allclose(params[name], free[name], atol=1e-6)
    torch.testing.assert_close(params['head'], free['head'])


def test_first_step_stays_at_the_pretrained_weights():
    start = make_params()
    params, opt = ours(FTPSGD, 1, lr=0.1)
    for name in ('conv', 'fc', 'bias'):
        # gamma = 1e-8 at the first step: within 1e-8 per row (L1)
        assert (params[name] - start[name]).abs().sum() <= 1e-8 * 3
        assert torch.equal(opt.state[params[name]]['ftp_anchor'], start[name])
    # the head, not projected, took the plain SGD step
    g = quadratic()('head', start['head'])
    torch.testing.assert_close(params['head'].detach(),
                               start['head'] - 0.1 * g)


@pytest.mark.parametrize('cls', [FTPSGD, FTPAdamW])
def test_resumed_equals_uninterrupted(cls):
    kwargs = dict(lr=0.05, weight_decay=1e-3, k=0.5)
    whole, _ = ours(cls, 6, **kwargs)
    half, opt = ours(cls, 3, **kwargs)
    saved = copy.deepcopy(({
        k: p.detach().clone()
        for k, p in half.items()
    }, opt.state_dict()))
    resumed, _ = ours(cls, 3, start=saved, **kwargs)
    for name in whole:
        assert torch.equal(whole[name], resumed[name]), name


def test_nothing_marked_is_refused_with_the_config_fix():
    p = nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match='marked ftp=True and none is') as e:
        FTPSGD([p], lr=0.1)
    assert "custom_keys={'backbone': dict(ftp=True)}" in str(e.value)
    with pytest.raises(ValueError, match='k must be >= 0'):
        FTPAdamW([dict(params=[p], ftp=True)], k=-1.0)


def test_the_config_path_marks_the_backbone_only(tmp_path):
    """As a config builds it (configs/_base_/methods/ftp.py): mmengine's
    custom_keys mark the backbone's groups, the head's stay plain."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from ...conftest import ROOT
    base = Config.fromfile(f'{ROOT}/configs/_base_/methods/ftp.py')
    cfg = copy.deepcopy(base.ftp_optim_wrapper)
    cfg.optimizer.update(lr=0.1, momentum=0.9)
    model = nn.Module()
    model.backbone = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model.head = nn.Linear(2, 3)
    wrapper = build_optim_wrapper(model, cfg)
    assert type(wrapper.optimizer) is FTPSGD
    names = {id(p): n for n, p in model.named_parameters()}
    marked = {
        names[id(p)]: g.get('ftp', False)
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    assert len(marked) == len(names)
    assert all(v == n.startswith('backbone.') for n, v in marked.items())


def test_config_check_refuses_what_would_leave_weights_unprojected():
    """tools/train.py's optimizer check (mmctune.utils.cfg_check): FTP's
    class refuses paramwise settings under which mmengine's custom keys
    would leave pre-trained parameters unprojected or drop another rule."""
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_optimizer
    from ...conftest import ROOT
    shipped = Config.fromfile(f'{ROOT}/configs/ftp/r18-tiny_simclr_fmnist.py')
    check_optimizer(shipped)  # the shipped config passes

    def refused(paramwise, match):
        cfg = copy.deepcopy(shipped)
        cfg.optim_wrapper.paramwise_cfg = paramwise
        with pytest.raises(ValueError, match=match):
            check_optimizer(cfg)

    refused(dict(), 'marked ftp=True and none is')
    # LLRD's per-stage keys are longer, so they win: not projected
    refused(
        dict(custom_keys={
            'backbone': dict(ftp=True),
            'backbone.layer1': dict(lr_mult=0.5)
        }), r"\['backbone.layer1'\] match before \['backbone'\]")
    refused(
        dict(custom_keys={'backbone': dict(ftp=True)}, norm_decay_mult=0.0),
        r"\['norm_decay_mult'\]")
    # marked throughout: accepted
    cfg = copy.deepcopy(shipped)
    cfg.optim_wrapper.paramwise_cfg = dict(
        custom_keys={
            'backbone': dict(ftp=True),
            'backbone.layer1': dict(lr_mult=0.5, ftp=True)
        })
    check_optimizer(cfg)


def test_train_refuses_an_ftp_config_before_building_the_runner(tmp_path):
    """The LLRD config with FTP's optimizer and nothing marked: refused by
    tools/train.py with the fix, before any work dir is made."""
    from ...conftest import ROOT, run_python
    work = tmp_path / 'work'
    r = run_python(args=[
        f'{ROOT}/tools/train.py',
        f'{ROOT}/configs/llrd/r18-tiny_simclr_fmnist.py', '--work-dir',
        str(work), '--cfg-options', 'optim_wrapper.optimizer.type=FTPSGD'
    ])
    assert r.returncode != 0
    assert "custom_keys={'backbone': dict(ftp=True)}" in r.stdout
    assert not work.exists()
