"""tools/analysis_tools on a checkpoint of a tiny Fashion-MNIST run."""
import glob
import json
import os
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from PIL import Image

from ..conftest import ROOT, _fork_server, run_python, write_tiny_config
from ..forkserver import python_shim
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
    r = run_python(
        args=[osp.join(TOOLS, 'plot_curves.py'), work, '--out', out])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss, lr, val' in r.stdout
    # mmengine logs a loss as the mean of a window of iterations (10 by
    # default), here at every iteration (the tiny config's interval=1)
    assert 'training losses: mean of the last 10 iterations (fewer at the ' \
        'start), logged every iteration (x: iteration)' in r.stdout
    assert 'learning rate: per iteration' in r.stdout
    assert 'validation (x: epoch)' in r.stdout
    width, height = png_size(out)
    assert width > 3 * height  # three panels side by side


def test_tsne(trained, tmp_path):
    cfg, _, ckpt = trained
    out = str(tmp_path / 'tsne.png')
    r = run_python(args=[
        osp.join(TOOLS, 'tsne.py'), cfg, ckpt, '--out', out, '--max-samples',
        '30'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 't-SNE of 30 features' in r.stdout
    assert min(png_size(out)) > 100


def test_tsne_of_a_label_fraction_training_set(trained, tmp_path, tiny_fmnist,
                                               capsys):
    """``--split train`` of a label-fraction config: the labelled images
    (LabelFraction takes no pipeline: its dataset gets the test one)."""
    cfg, _, ckpt = trained
    fraction = tmp_path / 'fraction.py'
    fraction.write_text(f"""
_base_ = [{cfg!r}]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='LabelFraction', fraction=0.25,
    dataset=dict(type='mmpretrain.FashionMNIST', data_root={tiny_fmnist!r},
                 split='train', download=False,
                 pipeline=[dict(type='mmpretrain.RandomCrop', crop_size=28,
                                padding=2),
                           dict(type='mmpretrain.PackInputs')])))
""")
    out = str(tmp_path / 'tsne.png')
    tsne = load_tool('analysis_tools/tsne.py')
    tsne.main([str(fraction), ckpt, '--out', out, '--split', 'train'])
    assert min(png_size(out)) > 100
    # the labelled images: a quarter of each class of the 64
    from mmctune.datasets import train_eval_loader_cfg
    from mmctune.registry import DATASETS
    loader = train_eval_loader_cfg(Config.fromfile(str(fraction)))
    assert loader['dataset']['dataset']['pipeline'] == [
        dict(type='mmpretrain.PackInputs')
    ]
    labelled = len(DATASETS.build(loader['dataset']))
    assert labelled < 32
    assert f't-SNE of {labelled} features' in capsys.readouterr().out


def test_linear_probe_trains_only_the_classifier(trained, tmp_path,
                                                 tiny_fmnist):
    _, _, ckpt = trained
    cfg = write_tiny_config(
        tmp_path / 'probe.py',
        tiny_fmnist,
        base='configs/linear_probe/r18-tiny_fmnist.py',
        extra=f"model = dict(backbone=dict(init_cfg=dict(type='Pretrained', "
        f"checkpoint={ckpt!r}, prefix='backbone.')))")
    work = str(tmp_path / 'probe')
    r = run_python(args=[TRAIN, cfg, '--work-dir', work])
    assert r.returncode == 0, r.stdout[-3000:]
    before = torch.load(ckpt, weights_only=False)['state_dict']
    after = torch.load(
        osp.join(work, 'epoch_1.pth'), weights_only=False)['state_dict']
    for k, v in after.items():
        if k.startswith('backbone.') and 'num_batches_tracked' not in k:
            assert torch.equal(v, before[k]), k  # weights and BN statistics
    assert not torch.equal(after['head.fc.weight'], before['head.fc.weight'])


def test_multi_seed_run_and_collect(trained, tmp_path, monkeypatch, capsys):
    """The tool in this process, its tools/train.py runs (one interpreter
    per seed) forked from the fork server (tests/forkserver.py), through a
    ``python`` that passes their output and exit status through."""
    cfg, _, _ = trained
    root = str(tmp_path / 'seeds')
    multi_seed = load_tool('analysis_tools/multi_seed.py')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    stop = python_shim(_fork_server(), bin_dir)
    monkeypatch.setattr(multi_seed.sys, 'executable', str(bin_dir / 'python'))
    monkeypatch.delenv('MMCTUNE_COMPAT_DISABLE', raising=False)

    def tool(*argv):
        capsys.readouterr()
        multi_seed.main(list(argv))
        return capsys.readouterr().out

    try:
        out = tool('run', cfg, '--seeds', '0', '1', '--root', root)
        row = re.search(r'\| tiny \| ([\d.]+) ± ([\d.]+) \(2\) \|', out)
        assert row, out[-2000:]
        assert row.group(0) in tool('collect', '--root', root)
        # each seed a tools/train.py run, its multi_seed.json beside it, reused
        # by a second run
        results = sorted(
            glob.glob(
                osp.join(root, 'tiny', 'tiny', 'seed_*', 'multi_seed.json')))
        assert len(results) == 2
        stamps = [os.stat(p).st_mtime_ns for p in results]
        rerun = tool('run', cfg, '--seeds', '0', '1', '--root', root)
        assert row.group(0) in rerun
        assert [os.stat(p).st_mtime_ns for p in results] == stamps
        assert 'seed 0: done before' in rerun
        # each seed ran with its own seed
        seeds = [json.load(open(p))['seed'] for p in results]
        assert seeds == [0, 1]
        cmd = json.load(open(results[1]))['command']
        assert cmd[cmd.index('--cfg-options') + 1] == 'randomness.seed=1'
        # another setting is another config: trained again, the earlier run
        # kept aside (checked here: a third training would cost seconds)
        seed0 = osp.dirname(results[0])
        sha1 = json.load(open(results[0]))['config_sha1']
        assert sha1 == multi_seed.seed_config_sha1(cfg, {}, 0)
        assert multi_seed.finished(seed0, sha1)
        other = multi_seed.seed_config_sha1(cfg, {'train_cfg.max_epochs': 1},
                                            0)
        assert other != sha1 and not multi_seed.finished(seed0, other)
        assert multi_seed.seed_config_sha1(cfg, {}, 1) != sha1
        multi_seed.set_aside(seed0)
        assert not osp.exists(seed0)
        kept, = glob.glob(seed0 + '.replaced-*')
        assert osp.isfile(osp.join(kept, 'multi_seed.json'))
    finally:
        stop()


def test_multi_seed_names_methods_from_the_model_index():
    multi_seed = load_tool('analysis_tools/multi_seed.py')
    assert multi_seed.method_and_dataset(
        osp.join(ROOT,
                 'configs/coretune/r50_moco_dtd.py')) == ('core-tuning', 'dtd')
    assert multi_seed.method_and_dataset(
        'configs/baselines/ce_r18-tiny_simclr_fmnist.py') == ('ce-tuning',
                                                              'fmnist')
    assert multi_seed.method_and_dataset(
        'configs/label_fraction/ce_r50_moco_imagenet20_10pct.py') == (
            'ce-tuning', 'imagenet20_10pct')
    # an ablation of a method is the method's, its suffix beside the dataset
    assert multi_seed.method_and_dataset(
        'configs/coretune/ablations/r50_moco_imagenet20_tau0.1.py') == (
            'core-tuning', 'imagenet20_tau0.1')
    # a config the index does not hold: its file name's first part
    assert multi_seed.method_and_dataset('/tmp/tiny.py') == ('tiny', 'tiny')
    # an alternative or an ablation keeps its suffix beside the dataset
    assert multi_seed.method_and_dataset(
        'configs/baselines/ce_r50_moco_cifar10_rrc.py')[1] == 'cifar10_rrc'
    assert multi_seed.method_and_dataset(
        'configs/coretune/r50_moco_flowers_official-split.py')[1] == \
        'flowers_official-split'
    assert multi_seed.method_and_dataset(
        'configs/dg/ce_r50_moco_pacs_art_painting.py')[1] == \
        'pacs_art_painting'
    names = multi_seed.method_names()
    assert names['core-tuning'] == 'Core-tuning'
    assert names['scl-l-con'] == 'SCL (+L_con)'
    # the older --train-args form: its --cfg-options, nothing else
    assert multi_seed.train_options(
        ['--cfg-options', 'randomness.deterministic=True']) == {
            'randomness.deterministic': True
        }
    with pytest.raises(SystemExit):
        multi_seed.train_options(['--amp'])


def _write_part(work, stamp, records, config=None):
    folder = work / stamp / 'vis_data'
    folder.mkdir(parents=True)
    import json
    (folder / 'scalars.json').write_text(''.join(
        json.dumps(r) + '\n' for r in records))
    if config is not None:  # what mmengine saves beside the scalars
        (folder / 'config.py').write_text(config)


def test_plot_curves_says_what_a_point_is(tmp_path, capsys):
    """A logged loss is mmengine's mean over ``log_processor.window_size``
    iterations, every ``default_hooks.logger.interval``: the panels say so,
    from the run's saved config, and per term where terms differ."""
    plot_curves = load_tool('analysis_tools/plot_curves.py')
    records = [
        dict(
            step=i,
            epoch=1,
            lr=0.1,
            loss=1. / i,
            loss_ce=1. / i,
            loss_max=2. / i) for i in range(50, 201, 50)
    ]
    _write_part(
        tmp_path / 'w', '20260101_000000', records,
        "default_hooks = dict(logger=dict(type='LoggerHook', interval=50))\n"
        "log_processor = dict(window_size=20, custom_cfg=[dict(\n"
        "    data_src='loss', log_name='loss_max', method_name='max',\n"
        "    window_size='epoch')])\n")
    out = str(tmp_path / 'c.png')
    drawn = plot_curves.main([str(tmp_path / 'w'), '--out', out])
    printed = capsys.readouterr().out
    assert 'loss_ce: mean of the last 20 iterations (fewer at the start), '\
        'logged every 50 iterations' in printed
    assert "loss_max: max of the epoch's iterations so far, logged every " \
        '50 iterations' in printed
    assert 'learning rate: the iteration\'s value, logged every 50 ' \
        'iterations' in printed
    assert [p for p, _, _ in drawn] == ['loss', 'lr']
    # every iteration's own value: window 1, interval 1; iteration-based
    # validation scalars
    _write_part(
        tmp_path / 'raw', '20260101_000000',
        [dict(step=i, lr=0.1, loss=1. / i)
         for i in (1, 2)] + [dict(step=2, acc=50.)],
        "default_hooks = dict(logger=dict(interval=1, "
        "log_metric_by_epoch=False))\nlog_processor = dict(window_size=1)\n")
    drawn = plot_curves.main([str(tmp_path / 'raw'), '--out', out])
    assert drawn == [('loss', 'training losses: per iteration', 'iteration'),
                     ('lr', 'learning rate: per iteration', 'iteration'),
                     ('val', 'validation', 'iteration')]


def test_plot_curves_joins_a_resumed_run(tmp_path):
    plot_curves = load_tool('analysis_tools/plot_curves.py')
    work = tmp_path / 'work'
    # 2 epochs of 5 iterations, interrupted after them; a test run; then a
    # resume from the epoch-1 checkpoint that trains epoch 2 again and 3
    _write_part(work, '20260101_000000', [
        dict(step=i, epoch=(i + 4) // 5, lr=0.1, loss=10. - i)
        for i in range(1, 11)
    ] + [dict(step=1, acc=50.), dict(step=2, acc=60.)])
    _write_part(work, '20260101_000100', [dict(step=0, acc=61.)])
    _write_part(work, '20260101_000200', [
        dict(step=i, epoch=(i + 4) // 5, lr=0.1, loss=-i)
        for i in range(6, 16)
    ] + [dict(step=2, acc=62.), dict(step=3, acc=70.)])
    train, val, used = plot_curves.read_scalars(
        plot_curves.find_scalars(str(work)))
    assert [r['step'] for r in train] == list(range(1, 16))
    # the first part up to iteration 5, the resumed part from 6 on
    assert [r['loss'] for r in train
            ] == [10. - i for i in range(1, 6)] + [-i for i in range(6, 16)]
    assert [(r['step'], r['acc']) for r in val] == [(1, 50.), (2, 62.),
                                                    (3, 70.)]
    assert len(used) == 2  # the test run's folder is left out
    # a run started afresh in the same work dir replaces what it repeats
    _write_part(
        work, '20260101_000300',
        [dict(step=i, epoch=1, lr=0.1, loss=100.) for i in range(1, 4)])
    train, val, _ = plot_curves.read_scalars(
        plot_curves.find_scalars(str(work)))
    assert [r['loss'] for r in train] == [100.] * 3 and val == []
    out = str(tmp_path / 'c.png')
    plot_curves.main([str(work), '--out', out])
    assert osp.isfile(out)
