"""`tools/train.py configs/<method>/r18-tiny_simclr_fmnist.py` runs for every
fine-tuning method on (tiny) real Fashion-MNIST, on CE-tuning's batches (the
same crops and flips in the same order at the same seed), and a run that
stops and resumes equals the uninterrupted one with COIN's stage switch,
RIFLE and Noisy-Tune all in play."""
import glob
import json
import os.path as osp

import pytest
import torch

from ..conftest import (ROOT, run_python, train_whole_and_resumed,
                        write_tiny_config)

TRAIN = osp.join(ROOT, 'tools', 'train.py')

# method -> a loss it must log
METHODS = {
    'l2sp': 'loss_l2sp',
    'delta': 'loss_delta',
    'bss': 'loss_bss',
    'mm': 'loss_triplet',
    'rifle': 'RIFLE: re-initialised head.fc',
    'noisytune': 'Noisy-Tune: perturbed',
    'coin': 'loss_con',
    'bituning': 'loss_con_y',
    'lp_ft': "set {'backbone.requires_grad': False",
    'stochnorm': 'StochNorm: StochNorm2d layers in training',
    'lwf': 'loss_lwf',
    'cotuning': 'loss_cotuning',
    'ftp': 'FTPSGD: 60 parameter tensors projected',
    'tpgm': 'TPGMHook: 60 parameter tensors projected',
    'drtune': 'DR-Tune: queues filled with the pre-trained features of 64',
    'coretune': 'loss_mix',
}


def batch_crcs(work):
    """The batches' checksums of the run in ``work`` (--diagnose)."""
    record, = glob.glob(osp.join(work, '*', 'diagnostics.jsonl'))
    return [json.loads(line)['batch_crc'] for line in open(record)]


@pytest.fixture(scope='module')
def ce_batches(tiny_fmnist, tmp_path_factory):
    """The batches CE-tuning's run sees at the default seed."""
    tmp = tmp_path_factory.mktemp('ce')
    cfg = write_tiny_config(tmp / 'cfg.py', tiny_fmnist)
    r = run_python(
        args=[TRAIN, cfg, '--work-dir',
              str(tmp / 'work'), '--diagnose'],
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    return batch_crcs(str(tmp / 'work'))


def test_every_method_has_a_demo_and_a_cifar10_config():
    for method in METHODS:
        for name in ('r18-tiny_simclr_fmnist.py', 'r50_moco_cifar10.py'):
            assert osp.isfile(osp.join(ROOT, 'configs', method, name))


@pytest.mark.parametrize('method', sorted(METHODS))
def test_method_trains_on_fashion_mnist(method, tiny_fmnist, tmp_path,
                                        ce_batches):
    extra = ''
    if method == 'rifle':  # one re-initialisation within the short run
        extra = "custom_hooks = [dict(type='RIFLEHook', interval=1, end=1)]\n"
        extra += 'train_cfg = dict(max_epochs=2, val_interval=2)\n'
    if method == 'lp_ft':  # the probe in epoch 0, fine-tuning in epoch 1
        extra = 'train_cfg = dict(max_epochs=2, val_interval=2)\n'
    if method == 'cotuning':  # fewer pseudo classes than the 64 images
        extra = 'model.update(num_source_classes=8)\n'
    if method == 'drtune':  # a queue the 64 images fill
        extra = 'model.update(queue_size=48)\n'
    if method == 'tpgm':  # projection data: the tiny set's test images
        extra = ('custom_hooks = [dict(_base_.tpgm_hook, dataloader=dict('
                 "batch_size=8, dataset=dict(type='mmpretrain.FashionMNIST', "
                 f"data_root={tiny_fmnist!r}, split='test', test_mode=True, "
                 "pipeline=[dict(type='mmpretrain.PackInputs')])))]\n")
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base=f'configs/{method}/r18-tiny_simclr_fmnist.py',
        extra=extra)
    work = str(tmp_path / 'work')
    r = run_python(
        args=[TRAIN, cfg, '--work-dir', work, '--diagnose'], timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert METHODS[method] in r.stdout
    # the same images, crops and flips as CE-tuning's first epoch: what the
    # method draws at random (Core-tuning's mixing, DELTA's preparation)
    # does not move the data pipeline's draws. Bi-tuning's pipeline is its
    # own: two views of each image
    assert len(ce_batches) == 4  # 64 images, batch 16
    if method != 'bituning':
        assert batch_crcs(work)[:4] == ce_batches
    assert 'accuracy/top1' in r.stdout
    # mmengine's line per parameter of a paramwise_cfg (FTP's custom_keys)
    # goes to the log file only
    assert 'paramwise_options' not in r.stdout
    assert glob.glob(osp.join(work, 'epoch_*.pth'))


def _weights(path):
    return torch.load(
        path, map_location='cpu', weights_only=False)['state_dict']


def test_resume_with_stage_switch_rifle_and_noise(tiny_fmnist, tmp_path):
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/coin/r18-tiny_simclr_fmnist.py',
        extra=f"""
custom_hooks = [
    dict(type='StageSwitchHook', stages=[(2, {{
        'head.train_classifier': True,
        'head.con_loss.loss_weight': 0.1}})]),
    dict(type='RIFLEHook', interval=1, end=2),
    dict(type='NoisyTuneHook'),
]
train_cfg = dict(max_epochs=3, val_interval=3)
randomness = dict(seed=0)
# as tests/test_tools/test_train.py: no random augmentation, the scheduler's
# `end` pinned, so a 2-epoch run (given the span on the command line too:
# tools/train.py would fit the schedule to it) stands in for an interrupted
# 3-epoch one
train_dataloader = dict(
    batch_size=16,
    dataset=dict(data_root={tiny_fmnist!r}, indices=None,
                 pipeline=[dict(type='mmpretrain.PackInputs')]))
param_scheduler = dict(T_max=3, end=3)
""")
    whole, parts, (first, _, out) = train_whole_and_resumed(
        cfg, tmp_path, ['train_cfg.max_epochs=2', 'param_scheduler.end=3'])
    assert "epoch 2: set {'head.train_classifier': True" in first
    assert 'resumed epoch: 2' in out
    # resumed straight into stage 2 (the model built as stage 1, the stage
    # of epoch 2 set over it), re-initialised at epoch 2, no new noise
    assert "epoch 2: set {'head.train_classifier': True" in out
    assert "'head.train_classifier': False" not in out
    assert 'RIFLE: re-initialised head.fc before epoch 2' in out
    assert 'NoisyTuneHook: the model has its preparation already' in out
    a = _weights(osp.join(whole, 'epoch_3.pth'))
    b = _weights(osp.join(parts, 'epoch_3.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=1e-5, msg=k)
