"""TrainDiagnosticsHook: its per-iteration gradient norms, distances and BN
statistics equal what the weights did, and it does not change the run."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.engine.hooks.diagnostics_hook import default_groups
from mmctune.engine.runner import Runner
from tests.conftest import write_tiny_config

LR = 0.05


class Snapshots(Hook):
    """The model's parameters and BN statistics before training and after
    every iteration."""

    def __init__(self):
        self.params, self.bn = [], []

    def _take(self, runner):
        model = runner.model
        self.params.append({
            n: p.detach().clone()
            for n, p in model.named_parameters()
        })
        self.bn.append([(m.running_mean.clone(), m.running_var.clone())
                        for m in model.modules() if isinstance(m, _BatchNorm)])

    def before_train(self, runner):
        self._take(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self._take(runner)


def run(tmp_path, data_root, name, hook=None, snapshots=None):
    # Core-tuning's head (classifier, projector), plain SGD at a constant
    # learning rate: each step moves the weights by exactly -LR * gradient
    cfg_path = write_tiny_config(
        tmp_path / f'{name}.py',
        data_root,
        base='configs/coretune/r18-tiny_simclr_fmnist.py',
        extra=f"""
optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='SGD', lr={LR}, momentum=0, weight_decay=0))
param_scheduler = []
train_cfg = dict(max_epochs=1, val_interval=10)
train_dataloader = dict(batch_size=16, dataset=dict(
    data_root={data_root!r}, indices=64))
""")
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(tmp_path / name)
    cfg.randomness = dict(seed=0)
    if hook is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [hook]
    runner = Runner.from_cfg(cfg)
    if snapshots is not None:
        runner.register_hook(snapshots, 'LOWEST')
    runner.train()
    return runner


def records(runner):
    with open(osp.join(runner.log_dir, 'diagnostics.jsonl')) as f:
        return [json.loads(line) for line in f]


def norm(tensors):
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(t) for t in tensors])).item()


def test_records_equal_what_the_weights_did_and_change_nothing(
        tiny_fmnist, tmp_path):
    snaps = Snapshots()
    runner = run(tmp_path, tiny_fmnist, 'with',
                 dict(type='TrainDiagnosticsHook'), snaps)
    rows = records(runner)
    assert [r['iter'] for r in rows] == [0, 1, 2, 3]  # 64 images, batch 16
    groups = default_groups(runner.model)
    assert groups == {
        'backbone': 'backbone',
        'head.fc': 'head.fc',
        'head.projector': 'head.projector'
    }
    start = snaps.params[0]
    for t, row in enumerate(rows):
        before, after = snaps.params[t], snaps.params[t + 1]
        for part in groups:
            names = [n for n in start if n.startswith(part + '.')]
            step = norm([after[n] - before[n] for n in names])
            assert row[f'grad_norm/{part}'] == pytest.approx(
                step / LR, rel=1e-4)
            assert row[f'dist/{part}'] == pytest.approx(
                norm([after[n] - start[n]
                      for n in names]) / norm([start[n] for n in names]),
                rel=1e-4)
            assert row[f'lr/{part}'] == LR
        # the terms of Core-tuning's loss, raw
        assert {'loss', 'loss_ce', 'loss_mix', 'loss_con'} <= set(row)
        assert row['grad_norm/head.projector'] > 0  # the contrastive term
        # BN's running statistics against the start, as documented
        bn0, bnt = snaps.bn[0], snaps.bn[t + 1]
        eps = 1e-5
        shift = torch.stack([((m - m0).abs() / (v0 + eps).sqrt()).mean()
                             for (m0, v0), (m, _) in zip(bn0, bnt)]).mean()
        ratio = torch.stack([((v + eps) / (v0 + eps)).log().abs().mean()
                             for (_, v0), (_, v) in zip(bn0, bnt)]).mean()
        assert row['bn/mean_shift'] == pytest.approx(shift.item(), rel=1e-5)
        assert row['bn/var_log_ratio'] == pytest.approx(ratio.item(), rel=1e-5)
        assert row['bn/mean_shift'] > 0
    assert len({r['batch_crc'] for r in rows}) == 4  # four batches

    # the same run without the hook ends with the same weights, bit for bit
    plain = run(tmp_path, tiny_fmnist, 'without')
    final = dict(plain.model.named_parameters())
    for n, p in runner.model.named_parameters():
        assert torch.equal(p, final[n]), n
    assert not osp.exists(osp.join(plain.log_dir, 'diagnostics.jsonl'))

    # named parts; the same seed sees the same batches
    again = run(tmp_path, tiny_fmnist, 'again',
                dict(type='TrainDiagnosticsHook', groups=dict(fc='head.fc')))
    rows2 = records(again)
    assert [r['batch_crc'] for r in rows2] == [r['batch_crc'] for r in rows]
    assert [r['grad_norm/fc'] for r in rows2
            ] == pytest.approx([r['grad_norm/head.fc'] for r in rows],
                               rel=1e-6)
    assert not any(k.startswith('grad_norm/backbone') for k in rows2[0])


def test_a_part_the_model_lacks_stops_before_training(tiny_fmnist, tmp_path):
    with pytest.raises(
            ValueError, match=r"no module \['head.fcc'\].*"
            r"'head.fc'"):
        run(tmp_path, tiny_fmnist, 'typo',
            dict(type='TrainDiagnosticsHook', groups=dict(fc='head.fcc')))
    assert not osp.exists(tmp_path / 'typo' / 'epoch_1.pth')
