"""HierarchicalKMeansHook: two gloo processes cluster once and get the same
result as one process, a one-epoch HCSC run through tools/train.py logs both
losses and the hook's statistics, and a killed and resumed run is exact (the
K-means itself: tests/test_models/test_utils/test_kmeans.py)."""
import importlib.util
import math
import os.path as osp
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmctune.engine.hooks import HierarchicalKMeansHook
from mmctune.engine.hooks.hkmeans_hook import selection_metrics
from mmctune.models.utils.kmeans import torch_kmeans
from ...conftest import ROOT, run_python, run_two_processes, write_idx_fmnist


def test_selection_metrics():
    counts = torch.tensor([[4., 3, 6, 10, 9, 12], [0, 0, 0, 0, 0, 0]])
    m = selection_metrics(counts)
    assert m['hcsc/fn_precision_l0'] == 0.75
    assert m['hcsc/fn_recall_l0'] == 0.5
    assert m['hcsc/tn_precision_l0'] == 0.9
    assert m['hcsc/tn_recall_l0'] == 0.75
    assert math.isnan(m['hcsc/fn_recall_l1'])


def test_hook_rejects_bad_settings():
    with pytest.raises(ValueError, match='decreasing'):
        HierarchicalKMeansHook(num_clusters=(10, 20), pipeline=[])
    with pytest.raises(ValueError, match='pipeline'):
        HierarchicalKMeansHook(num_clusters=(10, 5))


def test_faiss_backend_without_faiss(monkeypatch):
    # faiss is pinned (requirements/lock-cpu.txt): hide it, as on a machine
    # without it
    monkeypatch.setitem(sys.modules, 'faiss', None)
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        HierarchicalKMeansHook(
            num_clusters=(10, 5), pipeline=[], backend='faiss')
    # auto falls back to torch
    hook = HierarchicalKMeansHook(num_clusters=(10, 5), pipeline=[])
    assert hook.backend == 'torch' and hook.kmeans is torch_kmeans


def test_faiss_is_the_default_where_it_imports():
    import faiss  # noqa: F401  (pinned in requirements/lock-cpu.txt)
    hook = HierarchicalKMeansHook(num_clusters=(10, 5), pipeline=[])
    assert hook.backend == 'faiss'


TINY_MODEL = dict(
    type='HCSC',
    queue_len=8,
    feat_dim=4,
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[72.94],
        std=[90.03],
        to_rgb=False),
    backbone=dict(
        type='mmpretrain.ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=4,
        base_channels=4,
        out_indices=(3, )),
    neck=dict(
        type='mmpretrain.MoCoV2Neck',
        in_channels=32,
        hid_channels=32,
        out_channels=4,
        with_avg_pool=True))


def fake_runner(data_root):
    """What the hook reads of a Runner: the model, the training loader's
    config and dataset, build_dataloader."""
    from mmctune.registry import MODELS
    torch.manual_seed(0)  # the same weights on every rank
    model = MODELS.build(TINY_MODEL)
    loader_cfg = Config(
        dict(
            train_dataloader=dict(
                batch_size=4,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                collate_fn=dict(type='default_collate'),
                dataset=dict(
                    type='mmpretrain.FashionMNIST',
                    data_root=data_root,
                    split='train',
                    download=False,
                    pipeline=[dict(type='mmpretrain.PackInputs')]))))
    hook_loader = Runner.build_dataloader(loader_cfg.train_dataloader)
    return SimpleNamespace(
        model=model,
        cfg=loader_cfg,
        train_dataloader=hook_loader,
        build_dataloader=Runner.build_dataloader)


def cluster_once(data_root):
    """The hook's clustering of the tiny data, computed with one thread (as
    each process of the 2-process run below), so that the comparison sees
    the processes' split of the data, not a thread count's other float
    rounding."""
    from mmctune.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _cluster_once(data_root)
    finally:
        torch.set_num_threads(threads)


def _cluster_once(data_root):
    runner = fake_runner(data_root)
    hook = HierarchicalKMeansHook(
        num_clusters=(6, 3),
        pipeline=[dict(type='mmpretrain.PackInputs')],
        batch_size=5,  # 64 images: ranks' shards padded
        backend='torch',
        nredo=1)
    calls = []
    kmeans = hook.kmeans

    def counted(*args, **kwargs):
        calls.append(1)
        return kmeans(*args, **kwargs)

    hook.kmeans = counted
    result = hook.cluster(runner)
    return result, len(calls)


def _worker(rank, data_root):
    result, calls = cluster_once(data_root)
    return {k: [t.numpy() for t in v] for k, v in result.items()}, calls


def test_two_processes_cluster_once_and_agree(tmp_path):
    data_root = write_idx_fmnist(str(tmp_path / 'fmnist'))
    single, _ = cluster_once(data_root)
    results = run_two_processes(_worker, data_root)
    # K-means on rank 0 only (once per level), broadcast to rank 1
    assert [r[2] for r in results] == [2, 0]
    (_, r0, _), (_, r1, _) = results
    for key in single:
        for a, b, c in zip(r0[key], r1[key], single[key]):
            # every rank holds the same result, bit for bit
            np.testing.assert_array_equal(a, b)
            # and it is the one-process result: the same assignments; the
            # embeddings of other batch compositions differ in float
            # rounding only
            if c.is_floating_point():
                torch.testing.assert_close(
                    torch.from_numpy(a), c, rtol=1e-2, atol=1e-4)
            else:
                assert torch.equal(torch.from_numpy(a), c)


TRAIN = osp.join(ROOT, 'tools', 'train.py')


def test_hcsc_fmnist_smoke_run(tiny_fmnist, tmp_path):
    work = tmp_path / 'hcsc'
    r = run_python(args=[
        TRAIN,
        osp.join(ROOT, 'configs/pretrain/hcsc_r18-tiny_fmnist.py'), '--smoke',
        '--work-dir',
        str(work), '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_fmnist}',
        'train_dataloader.drop_last=False'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    out = r.stdout
    # --smoke fits the prototypes to its 16 images and clusters at once
    assert 'prototypes (8, 4, 2)' in out
    backend = 'faiss' if importlib.util.find_spec('faiss') else 'torch'
    assert f'K-means with {backend}' in out
    assert 'loss_ins' in out and 'loss_proto' in out
    for key in ('hcsc/cluster_time', 'hcsc/train_time', 'hcsc/fn_precision_l0',
                'hcsc/tn_recall_l2'):
        assert key in out, out[-3000:]
    assert (work / 'epoch_1.pth').is_file()


def test_too_many_prototypes_is_refused_before_training(tiny_fmnist, tmp_path):
    r = run_python(args=[
        TRAIN,
        osp.join(ROOT,
                 'configs/pretrain/hcsc_r18-tiny_fmnist.py'), '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_fmnist}',
        'train_dataloader.drop_last=False', 'train_dataloader.batch_size=16',
        'auto_scale_lr.base_batch_size=16',
        'train_dataloader.dataset.indices=16'
    ])
    assert r.returncode != 0
    assert '16 training images for 100 prototypes' in r.stdout
    assert 'Epoch(train)' not in r.stdout  # refused before training


KILLER = '''
import signal

from mmengine.hooks import Hook

from mmctune.registry import HOOKS


@HOOKS.register_module()
class KillHook(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if (runner.epoch, batch_idx) == (1, 1):  # mid-epoch 2, clustered
            os.kill(os.getpid(), signal.SIGKILL)
'''


def test_killed_and_resumed_pretraining_is_exact(tiny_fmnist, tmp_path):
    """Killed in the second epoch (after its clustering, with selection
    draws made) and resumed: the weights, the queue and its indices end as
    in the uninterrupted run, bit for bit (the prototypes are recomputed
    from the checkpoint's key encoder, the draws continue the saved
    generator states)."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""
_base_ = [{osp.join(ROOT, 'configs/pretrain/hcsc_r18-tiny_fmnist.py')!r}]
model = dict(queue_len=32)
train_dataloader = dict(batch_size=16, dataset=dict(data_root={tiny_fmnist!r}))
max_epochs = 2
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True,
                        begin=0, end=2, eta_min=0.)]
train_cfg = dict(max_epochs=2)
auto_scale_lr = dict(base_batch_size=16)
custom_hooks = [dict(type='HierarchicalKMeansHook', num_clusters=(8, 4, 2),
                     warmup_epochs=1,
                     pipeline=[dict(type='mmpretrain.PackInputs')],
                     batch_size=64, nredo=1)]
randomness = dict(seed=0, deterministic=True)
""")
    (tmp_path / 'killer.py').write_text(KILLER)
    kill_cfg = tmp_path / 'kill.py'
    kill_cfg.write_text("""
_base_ = ['./cfg.py']
custom_imports = dict(imports=['killer'], allow_failed_imports=False)
custom_hooks = [dict(type='HierarchicalKMeansHook', num_clusters=(8, 4, 2),
                     warmup_epochs=1,
                     pipeline=[dict(type='mmpretrain.PackInputs')],
                     batch_size=64, nredo=1), dict(type='KillHook')]
""")

    def train(config, work, *args):
        return run_python(
            args=[TRAIN, str(config), '--work-dir',
                  str(work), *args],
            env=dict(PYTHONPATH=str(tmp_path)),
            timeout=600)

    r = train(cfg, tmp_path / 'whole')
    assert r.returncode == 0, r.stdout[-3000:]
    r = train(kill_cfg, tmp_path / 'resumed')
    assert r.returncode != 0  # killed
    r = train(cfg, tmp_path / 'resumed', '--resume')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss_proto' in r.stdout

    def load(work):
        return torch.load(
            str(tmp_path / work / 'epoch_2.pth'),
            map_location='cpu',
            weights_only=False)['state_dict']

    a, b = load('whole'), load('resumed')
    assert a.keys() == b.keys() and 'queue_index' in a
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert (a['queue_index'] >= 0).all()  # 2 x 64 keys went through 32
