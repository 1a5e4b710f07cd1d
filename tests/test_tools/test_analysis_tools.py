"""tools/analysis_tools on a checkpoint of a tiny Fashion-MNIST run."""
import glob
import os
import os.path as osp
import re

import pytest
import torch
from PIL import Image

from ..conftest import ROOT, run_python, write_tiny_config
from .tool_loader import load_tool

TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
TRAIN = osp.join(ROOT, 'tools', 'train.py')


@pytest.fixture
def trained(tiny_trained):
    """(config, work dir, checkpoint) of the session's shared 2-epoch run
    (tests/conftest.py): read here, never written."""
    return tiny_trained


def png_size(path):
    with Image.open(path) as img:
        return img.size


def test_plot_curves(trained, tmp_path):
    _, work, _ = trained
    out = str(tmp_path / 'curves.png')
    r = run_python(args=[osp.join(TOOLS, 'plot_curves.py'), work, '--out',
                         out])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss, lr, val' in r.stdout
    width, height = png_size(out)
    assert width > 3 * height  # three panels side by side


def test_tsne(trained, tmp_path):
    cfg, _, ckpt = trained
    out = str(tmp_path / 'tsne.png')
    r = run_python(args=[
        osp.join(TOOLS, 'tsne.py'), cfg, ckpt, '--out', out,
        '--max-samples', '30'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 't-SNE of 30 features' in r.stdout
    assert min(png_size(out)) > 100


def test_linear_probe_trains_only_the_classifier(trained, tmp_path,
                                                 tiny_fmnist):
    _, _, ckpt = trained
    cfg = write_tiny_config(
        tmp_path / 'probe.py', tiny_fmnist,
        base='configs/linear_probe/r18-tiny_fmnist.py',
        extra=f"model = dict(backbone=dict(init_cfg=dict(type='Pretrained', "
        f"checkpoint={ckpt!r}, prefix='backbone.')))")
    work = str(tmp_path / 'probe')
    r = run_python(args=[TRAIN, cfg, '--work-dir', work])
    assert r.returncode == 0, r.stdout[-3000:]
    before = torch.load(ckpt, weights_only=False)['state_dict']
    after = torch.load(osp.join(work, 'epoch_1.pth'),
                       weights_only=False)['state_dict']
    for k, v in after.items():
        if k.startswith('backbone.') and 'num_batches_tracked' not in k:
            assert torch.equal(v, before[k]), k  # weights and BN statistics
    assert not torch.equal(after['head.fc.weight'], before['head.fc.weight'])


def test_multi_seed_run_and_collect(trained, tmp_path):
    cfg, _, _ = trained
    root = str(tmp_path / 'seeds')
    r = run_python(args=[
        osp.join(TOOLS, 'multi_seed.py'), 'run', cfg, '--seeds', '0', '1',
        '--root', root
    ], timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    row = re.search(r'\| tiny \| ([\d.]+) ± ([\d.]+) \(2\) \|', r.stdout)
    assert row, r.stdout[-2000:]
    again = run_python(args=[
        osp.join(TOOLS, 'multi_seed.py'), 'collect', '--root', root])
    assert again.returncode == 0
    assert row.group(0) in again.stdout
    # each seed's result.json (mmctune.apis.sweep), reused by a second run
    results = sorted(glob.glob(osp.join(root, 'tiny', 'tiny', 'seed_*',
                                        'result.json')))
    assert len(results) == 2
    stamps = [os.stat(p).st_mtime_ns for p in results]
    rerun = run_python(args=[
        osp.join(TOOLS, 'multi_seed.py'), 'run', cfg, '--seeds', '0', '1',
        '--root', root
    ])
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert row.group(0) in rerun.stdout
    assert [os.stat(p).st_mtime_ns for p in results] == stamps


def test_multi_seed_names_methods_from_the_table():
    multi_seed = load_tool('analysis_tools/multi_seed.py')
    assert multi_seed.method_and_dataset(
        osp.join(ROOT, 'configs/coretune/r50_moco_dtd.py')) == (
            'core-tuning', 'dtd')
    assert multi_seed.method_and_dataset(
        'configs/baselines/ce_r18-tiny_simclr_fmnist.py') == ('ce-tuning',
                                                              'fmnist')
    assert multi_seed.method_and_dataset(
        'configs/label_fraction/ce_r50_moco_imagenet20_10pct.py') == (
            'ce (10pct)', 'imagenet20')
    assert multi_seed.NAMES['core-tuning'] == 'Core-tuning'
    # the older --train-args form: its --cfg-options, nothing else
    assert multi_seed.train_options(
        ['--cfg-options', 'randomness.deterministic=True']) == {
            'randomness.deterministic': True
        }
    with pytest.raises(SystemExit):
        multi_seed.train_options(['--amp'])
