""".dev_scripts/benchmarks/finetune_table.py: the labelled subsets, the
validation split, the tuning's choice, the final table and the reuse of
finished runs, on the tiny Fashion-MNIST; its rows from the model index, its
grids from benchmarks.yml."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch

from mmctune.apis import setting_models
from ..conftest import ROOT
from .bench_loader import load_bench

ft = load_bench('finetune_table')
CE_CONFIG = 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """A checkpoint of the demo network (random weights, backbone. keys)."""
    from mmengine.config import Config

    from mmctune.registry import MODELS
    from mmctune.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'pretrained.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def args_for(pretrained, data_root, work_dir, *extra):
    return [
        '--pretrained', pretrained, '--data-root', data_root, '--work-dir',
        work_dir, '--holdout', '0.25', '--images', '32', '--jobs', '1', *extra
    ]


def test_training_and_validation_sets_are_disjoint(pretrained, tiny_fmnist,
                                                   tmp_path):
    from mmctune.registry import DATASETS
    args = ft.parse_args(args_for(pretrained, tiny_fmnist, str(tmp_path)))
    val = ft.job_config(CE_CONFIG, (), 0.5, 0, 'val', args, str(tmp_path))
    test = ft.job_config(CE_CONFIG, (), 0.5, 0, 'test', args, str(tmp_path))
    train_set = DATASETS.build(val.train_dataloader.dataset)
    val_set = DATASETS.build(val.test_dataloader.dataset)
    test_set = DATASETS.build(test.test_dataloader.dataset)
    # both carved from the training split, never overlapping
    assert train_set.dataset.split == val_set.dataset.split == 'train'
    assert len(val_set.dataset) == len(train_set.dataset) == 64
    assert val_set.dataset.get_data_info(0)['img'].tolist() == \
        train_set.dataset.get_data_info(0)['img'].tolist()
    assert len(test_set) == 32
    assert not set(train_set.indices) & set(val_set.indices)
    assert len(val_set) > 0 and len(train_set) > 0
    # the final runs test on the test split
    assert test_set.split == 'test'
    assert val.val_dataloader is None and val.val_cfg is None
    # epochs from the image draws: 32 draws over the 50% subset
    assert val.train_cfg.max_epochs == max(1, round(32 / len(train_set)))
    assert val.model.backbone.init_cfg.checkpoint == pretrained
    # a grid setting the config does not have is refused by name
    with pytest.raises(KeyError, match='no_such_weight'):
        ft.job_config(CE_CONFIG, (('model.head.no_such_weight', 1.0), ), 0.5,
                      0, 'val', args, str(tmp_path))


def test_tunes_on_validation_then_tests_every_seed(pretrained, tiny_fmnist,
                                                   tmp_path, monkeypatch):
    """--stages tune final tsne: Core-tuning tuned over one parameter (its
    paper grid, two, is tested by the grid tests), every seed's final run,
    and the t-SNE of CE-tuning's and Core-tuning's final runs."""
    eta = 'model.head.con_loss.loss_weight'
    monkeypatch.setitem(ft.BENCHMARK['grids'], 'Core-tuning',
                        [dict(name='eta', path=eta, values=[0.1, 1, 10])])
    argv = args_for(pretrained, tiny_fmnist, str(tmp_path), '--rows',
                    'CE-tuning', 'Core-tuning', '--fractions', '0.5',
                    '--tune-fraction', '0.5', '--seeds', '0', '1',
                    '--tsne-images', '20', '--stages', 'tune', 'final', 'tsne')
    raw = ft.main(argv)
    scores = raw['tune']['Core-tuning']
    assert [p['model.head.con_loss.loss_weight']
            for p, _ in scores] == [0.1, 1, 10]
    assert 'CE-tuning' not in raw['tune']  # nothing to tune
    best = max(
        scores, key=lambda ps: ps[1])[0]['model.head.con_loss.loss_weight']
    runs = os.listdir(osp.join(str(tmp_path), 'final', ft.slug('Core-tuning')))
    assert sorted(runs) == [
        f'50%_{ft.slug(f"eta={best:g}")}_seed{s}' for s in (0, 1)
    ]
    assert sorted(
        (n, s) for n, _, s, _ in raw['final']) == [('CE-tuning', 0),
                                                   ('CE-tuning', 1),
                                                   ('Core-tuning', 0),
                                                   ('Core-tuning', 1)]
    tables = open(osp.join(str(tmp_path), 'tables.md')).read()
    assert '| CE-tuning | - |' in tables and '+0.00 ± 0.00' in tables
    assert f'| Core-tuning | eta={best:g} |' in tables
    # the t-SNE: CE-tuning's and Core-tuning's final runs of the first seed
    # embed the same first 20 test images, each its own features
    assert raw['tsne'] == 'tsne.json'
    record = json.load(open(tmp_path / 'tsne.json'))
    assert list(record['points']) == ['CE-tuning', 'Core-tuning']
    assert (record['fraction'], record['seed']) == (0.5, 0)
    args = ft.parse_args(argv)
    jobs, owners = ft.final_jobs(args, {0.5: {
        'Core-tuning': ((eta, best), )
    }}, ft.rows_of(args))
    jobs = [j for j, o in zip(jobs, owners) if o[3] == 0]
    from mmctune.registry import DATASETS
    test_set = DATASETS.build(jobs[0].config().test_dataloader.dataset)
    assert test_set.split == 'test'
    assert record['labels'] == [
        int(test_set.get_data_info(i)['gt_label']) for i in range(20)
    ]
    assert record['classes'] == list(test_set.metainfo['classes'])
    from mmctune.visualization import tsne_embedding
    for job, name in zip(jobs, ('CE-tuning', 'Core-tuning')):
        run = record['runs'][name]
        assert run['work_dir'] == job.work_dir
        assert run['top1'] == json.load(
            open(osp.join(job.work_dir, 'result.json')))['top1']
        feats, labels, _ = ft.run_features(job, 20)
        assert labels == record['labels']
        np.testing.assert_allclose(
            record['points'][name], tsne_embedding(feats, seed=0), atol=1e-3)
    assert record['points']['CE-tuning'] != record['points']['Core-tuning']
    assert '### t-SNE of the features of the same test images' in tables
    assert 'first 20 test images by CE-tuning (-, top-1' in tables

    # a second call reuses every finished run
    results = [
        osp.join(root, 'result.json')
        for root, _, files in os.walk(str(tmp_path)) if 'result.json' in files
    ]
    assert len(results) == 3 + 4
    stamps = {p: os.stat(p).st_mtime_ns for p in results}
    again = ft.main(argv)
    assert again['final'] == json.loads(json.dumps(raw['final']))
    assert {p: os.stat(p).st_mtime_ns for p in results} == stamps
    # other settings: the runs are made again, not reused
    i = argv.index('--images')
    ft.main(argv[:i + 1] + ['200'] + argv[i + 2:] +
            ['--rows', 'CE-tuning', '--stages', 'final'])
    ce_runs = [p for p in results if '/final/CE-tuning/' in p]
    assert len(ce_runs) == 2
    assert all(os.stat(p).st_mtime_ns != stamps[p] for p in ce_runs)


def test_verdict_and_gain_are_paired_by_seed():
    ce = {0: 80.0, 1: 81.0, 2: 79.0}
    better = {0: 81.0, 1: 82.5, 2: 79.5}  # +1, +1.5, +0.5
    names = ('Core-tuning', 'CE-tuning')
    text = ft.verdict({
        ('Core-tuning', 0.1): better,
        ('CE-tuning', 0.1): ce
    }, 0.1, *names)
    assert 'beats CE-tuning: the gain is larger than its spread' in text
    assert 'gain +1.00 ± 0.50' in text and 'higher in 3 of 3' in text
    assert ft.gain(better, ce) == '+1.00 ± 0.50'
    noisy = {0: 83.0, 1: 79.0, 2: 79.5}  # +3, -2, +0.5
    assert 'within the spread' in ft.verdict(
        {
            ('Core-tuning', 0.1): noisy,
            ('CE-tuning', 0.1): ce
        }, 0.1, *names)
    # one seed: no spread, so no claim beyond "higher"
    assert 'no spread to compare with' in ft.verdict(
        {
            ('Core-tuning', 0.1): {
                0: 81.0
            },
            ('CE-tuning', 0.1): {
                0: 80.0
            }
        }, 0.1, *names)
    worse = {s: v - 1 for s, v in ce.items()}
    assert 'does not beat CE-tuning' in ft.verdict(
        {
            ('Core-tuning', 0.1): worse,
            ('CE-tuning', 0.1): ce
        }, 0.1, *names)


def test_refuses_unknown_rows_and_fractions(pretrained, tiny_fmnist, tmp_path):
    with pytest.raises(SystemExit):
        ft.parse_args(
            args_for(pretrained, tiny_fmnist, str(tmp_path), '--rows',
                     'Core-tunning'))
    with pytest.raises(SystemExit):
        ft.parse_args(
            args_for(pretrained, tiny_fmnist, str(tmp_path), '--fractions',
                     '0.9'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        ft.main(
            args_for(
                str(tmp_path / 'missing.pth'), tiny_fmnist, str(tmp_path)))


def test_imagenet_mobilenet_v2_setting(tiny_fmnist, tmp_path, capsys):
    """--setting imagenet-mbv2: its own rows, probe config, checkpoint,
    work dir and image draws; the runs fine-tune the MobileNetV2 from the
    given weights; a missing checkpoint names the converter."""
    args = ft.parse_args(['--setting', 'imagenet-mbv2'])
    assert args.pretrained == 'checkpoints/mobilenet_v2_imagenet.pth'
    assert args.work_dir == 'work_dirs/benchmarks/finetune_mbv2'
    assert args.images == 6000
    assert 'mbv2' in args.probe_config
    assert [r[0] for r in ft.rows_of(args)] == [
        'CE-tuning', 'SCL (+L_con)', 'BSS', 'COIN', 'L2-SP', 'Core-tuning'
    ]
    ckpt = str(tmp_path / 'mbv2.pth')
    argv = [
        '--setting', 'imagenet-mbv2', '--pretrained', ckpt, '--data-root',
        tiny_fmnist, '--work-dir',
        str(tmp_path), '--holdout', '0.25'
    ]
    args = ft.parse_args(argv)
    for _, config, _ in ft.rows_of(args):
        cfg = ft.job_config(config, (), 0.5, 0, 'test', args, str(tmp_path))
        assert cfg.model.backbone.type == 'mmpretrain.MobileNetV2'
        assert cfg.model.backbone.init_cfg.checkpoint == ckpt
    # the small ResNet's rows are not this setting's
    with pytest.raises(SystemExit):
        ft.parse_args(argv + ['--rows', 'Bi-tuning'])
    assert 'Bi-tuning' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='mobilenet_v2_imagenet.py'):
        ft.main(argv)
    # the small-ResNet setting has no default checkpoint
    with pytest.raises(SystemExit):
        ft.parse_args(['--data-root', tiny_fmnist])


def test_rows_come_from_the_model_index():
    """Each setting's rows are the methods of its model-index setting
    (reference, baselines, proposed, ablations: mmctune.apis.setting_models)
    with their configs, in the index's order, but those benchmarks.yml leaves
    out; a row's grid is benchmarks.yml's; Table 2's '+L_con +mix-H' takes
    Core-tuning's chosen values."""
    for setting, spec in ft.SETTINGS.items():
        rows = ft.setting_rows(setting)
        models = [
            m for m in setting_models(spec['index_setting'],
                                      ft.BENCHMARK['roles'])
            if m.in_collection not in ft.BENCHMARK['leave_out']
        ]
        assert [r[0] for r in rows] == [m.in_collection for m in models]
        assert [osp.join(ROOT, r[1])
                for r in rows] == [m.config for m in models]
        assert rows[0][0] == 'CE-tuning'
        # CE-tuning runs at its config's values, but where the setting tunes
        # every row's learning rate (the ViT miniature)
        assert rows[0][2] == ({} if setting != 'simclr-vit-tiny' else {
            'optim_wrapper.optimizer.lr': (0.0001, 0.0003, 0.001)
        })
        for _, config, grid in rows:
            assert osp.isfile(osp.join(ROOT, config)), config
            if isinstance(grid, str):
                assert grid in [r[0] for r in rows]
    assert [r[0] for r in ft.setting_rows('simclr-r18-tiny')] == [
        'CE-tuning', 'SCL (+L_con)', 'Bi-tuning', 'BSS', 'COIN', 'Co-Tuning',
        'DR-Tune', 'EMA', 'Freeze k stages', 'FTP', 'L2-SP', 'LLRD', 'LP-FT',
        'LwF', 'StochNorm', 'TPGM', 'Core-tuning', '+mix', '+L_con +mix-H',
        'Core-tuning + DR-Tune'
    ]
    # the ViT miniature: full fine-tuning, LoRA and VPT-deep, each CE-tuning
    # row tuning its learning rate and its Core-tuning row taking it
    vit = {r[0]: r[2] for r in ft.setting_rows('simclr-vit-tiny')}
    assert list(vit) == [
        'CE-tuning', 'LoRA', 'VPT-deep', 'Core-tuning', 'Core-tuning + LoRA',
        'Core-tuning + VPT-deep'
    ]
    assert vit['Core-tuning'] == 'CE-tuning'
    assert vit['Core-tuning + LoRA'] == 'LoRA'
    assert vit['Core-tuning + VPT-deep'] == 'VPT-deep'
    # the grids as the benchmark ran them (docs/benchmarks.md, sections 2
    # and 2d): the same values, named the same
    grids = {r[0]: r[2] for r in ft.setting_rows('simclr-r18-tiny')}
    assert grids['+L_con +mix-H'] == 'Core-tuning'
    assert [ft.describe(p) for p in ft.grid_points(grids['Core-tuning'])
            ][:2] == ['eta=0.1, alpha=0.1', 'eta=0.1, alpha=1']
    assert [ft.describe(p) for p in ft.grid_points(grids['COIN'])
            ] == ['eta=0.1', 'eta=1', 'eta=10']
    assert [ft.describe(p) for p in ft.grid_points(grids['L2-SP'])
            ] == ['alpha=0.001', 'alpha=0.01', 'alpha=0.1']
    assert [ft.describe(p) for p in ft.grid_points(grids['FTP'])
            ] == ['mu=0.001', 'mu=0.01', 'mu=0.1']
    assert [ft.describe(p) for p in ft.grid_points(grids['TPGM'])
            ] == ['lr=0.001', 'lr=0.01', 'lr=0.1']
    assert grids['LLRD'] == grids['LP-FT'] == {}


def test_every_grid_names_its_value_by_a_path_each_config_has():
    """A grid names a config value by its config path, never by a list
    position, and every config of its row in every setting has it, with a
    value a grid point changes: a renamed key in a config shows here, not
    as a failed run an hour into a benchmark."""
    from mmengine.config import Config
    bench = load_bench('benchlib')
    configs = {}
    for setting in ft.SETTINGS:
        for name, config, grid in ft.setting_rows(setting):
            if isinstance(grid, dict):
                configs.setdefault(config, grid)
    assert len(configs) >= 20
    for config, grid in configs.items():
        cfg = Config.fromfile(osp.join(ROOT, config))
        for path, values in grid.items():
            parts = re.split(r'[.\[\]]', path)
            assert not any(part.isdigit() for part in parts), path
            bench.get_by_path(cfg, path)
            bench.set_by_path(cfg, path, values[0])
            assert bench.get_by_path(cfg, path) == values[0]


def test_set_by_path_names_list_elements_by_type_or_content():
    from mmengine.config import Config
    bench = load_bench('benchlib')
    cfg = Config(
        dict(
            custom_hooks=[
                dict(type='mmengine.EMAHook', momentum=0.1),
                dict(
                    type='StageSwitchHook',
                    stages=[(0.7, {
                        'head.con_loss.loss_weight': 0.1
                    })])
            ],
            model=dict(head=dict(con_loss=dict(loss_weight=1.0)))))
    path = ('custom_hooks[type=StageSwitchHook].stages[*].'
            'head.con_loss.loss_weight')
    bench.set_by_path(cfg, path, 10.0)
    assert cfg.custom_hooks[1].stages[0] == (0.7, {
        'head.con_loss.loss_weight': 10.0
    })
    bench.set_by_path(cfg, 'custom_hooks[type=EMAHook].momentum', 0.5)
    assert cfg.custom_hooks[0].momentum == 0.5
    bench.set_by_path(cfg, 'model.head.con_loss.loss_weight', 0.5)
    assert cfg.model.head.con_loss.loss_weight == 0.5
    for bad, why in (
        ('custom_hooks.1.stages', 'by position'),
        ('model.head.con_weight', "no 'con_weight'"),
        ('custom_hooks[type=RIFLEHook].momentum', "type 'RIFLEHook', not one"),
        ('custom_hooks[*].momentum', 'not one'),  # the EMA hook only: fine
        ('custom_hooks[*].nothing', '0 elements'),
        ('custom_hooks[1].stages', 'not a selector'),
        ('model[type=X]', 'chooses a list element'),
    ):
        if why == 'not one' and bad == 'custom_hooks[*].momentum':
            bench.set_by_path(cfg, bad, 0.25)
            assert cfg.custom_hooks[0].momentum == 0.25
            continue
        with pytest.raises(KeyError, match=re.escape(why)):
            bench.set_by_path(cfg, bad, 1.0)
    # two elements holding the rest of the path: ambiguous, refused
    cfg.custom_hooks.append(dict(type='EMAHook', momentum=0.3))
    with pytest.raises(KeyError, match='2 elements of the list'):
        bench.set_by_path(cfg, 'custom_hooks[*].momentum', 1.0)
    with pytest.raises(KeyError, match="2 elements of type 'EMAHook'"):
        bench.set_by_path(cfg, 'custom_hooks[type=EMAHook].momentum', 1.0)


def _probe_step(config):
    """The parameters and BN statistics of the MobileNetV2 linear probe
    ``config`` before and after one optimiser step on two random images:
    {name: changed?}."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample

    from mmctune.registry import MODELS
    from mmctune.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    data = dict(
        inputs=torch.randint(0, 256, (2, 1, 32, 32), dtype=torch.uint8),
        data_samples=[DataSample().set_gt_label(k) for k in (3, 7)])
    model.train_step(data, wrapper)
    after = model.state_dict()
    return {k: not torch.equal(before[k], after[k]) for k in before}


def test_mobilenet_v2_linear_probe_trains_the_classifier_only():
    """imagenet-mbv2-12k's probe leaves every backbone weight and BN
    statistic as it was and trains the classifier; imagenet-mbv2's probe
    (frozen_stages=7, mmpretrain's most) trains the last 1x1 conv too,
    which is why the linear one exists."""
    linear = _probe_step(
        ft.config_of(ft.SETTINGS['imagenet-mbv2-12k']['probe']))
    assert linear['head.fc.weight'] and linear['head.fc.bias']
    assert not any(v for k, v in linear.items() if k.startswith('backbone.'))
    old = _probe_step(ft.config_of(ft.SETTINGS['imagenet-mbv2']['probe']))
    changed = {k for k, v in old.items() if v}
    assert {'backbone.conv2.conv.weight', 'head.fc.weight'} <= changed
    assert all(k.startswith(('backbone.conv2.', 'head.fc.')) for k in changed)
    assert ft.SETTINGS['imagenet-mbv2-12k']['probe_trains'] == \
        'linear classifier'
    assert 'conv2' in ft.SETTINGS['imagenet-mbv2']['probe_trains']


def test_imagenet_mobilenet_v2_12k_setting(tiny_fmnist, tmp_path):
    """--setting imagenet-mbv2-12k: imagenet-mbv2's rows and configs with
    twice the image draws, its own linear probe and work dir; a missing
    checkpoint names the converter."""
    args = ft.parse_args(['--setting', 'imagenet-mbv2-12k'])
    old = ft.parse_args(['--setting', 'imagenet-mbv2'])
    # the same rows and configs; its own grids replace the common ones of
    # the rows they name (Core-tuning's eta goes down to 0.01)
    assert [r[:2] for r in args.row_table] == [r[:2] for r in old.row_table]
    own = ft.SETTINGS['imagenet-mbv2-12k']['grids']
    for (name, _, grid), (_, _, old_grid) in zip(args.row_table,
                                                 old.row_table):
        assert (grid == old_grid) == (name not in own), name
    core = dict(r[::2] for r in args.row_table)['Core-tuning']
    assert core['model.head.con_loss.loss_weight'] == (0.01, 0.1, 1.0, 10.0)
    assert (args.images, old.images) == (12000, 6000)
    assert args.pretrained == old.pretrained
    assert args.probe_config == \
        'configs/linear_probe/mbv2_in1k_fmnist.py'
    assert args.work_dir == 'work_dirs/benchmarks/finetune_mbv2_12k'
    argv = [
        '--setting', 'imagenet-mbv2-12k', '--pretrained',
        str(tmp_path / 'mbv2.pth'), '--data-root', tiny_fmnist, '--work-dir',
        str(tmp_path)
    ]
    with pytest.raises(FileNotFoundError, match='mobilenet_v2_imagenet.py'):
        ft.main(argv)


def test_cfg_options_change_fine_tuning_runs_only(pretrained, tiny_fmnist,
                                                  tmp_path):
    """--cfg-options reach the fine-tuning runs (after the row's values),
    not the probe; a top-level key nothing reads is refused before any
    run."""
    argv = args_for(pretrained, tiny_fmnist, str(tmp_path), '--cfg-options',
                    'optim_wrapper.optimizer.lr=0.001',
                    'model.backbone.norm_eval=True')
    args = ft.parse_args(argv)
    assert args.cfg_options == {
        'optim_wrapper.optimizer.lr': 0.001,
        'model.backbone.norm_eval': True
    }
    cfg = ft.job_config(
        CE_CONFIG, (('optim_wrapper.optimizer.lr', 0.5), ),
        0.5,
        0,
        'val',
        args,
        str(tmp_path),
        options=args.cfg_options)
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    assert cfg.model.backbone.norm_eval is True
    plain = ft.job_config(CE_CONFIG, (), 0.5, 0, 'val', args, str(tmp_path))
    assert plain.optim_wrapper.optimizer.lr == 0.05
    with pytest.raises(KeyError, match='optim_wraper'):
        ft.job_config(
            CE_CONFIG, (),
            0.5,
            0,
            'val',
            args,
            str(tmp_path),
            options={'optim_wraper.optimizer.lr': 0.1})


def test_check_stage_compares_ce_tuning_with_the_probe_on_validation(
        pretrained, tiny_fmnist, tmp_path):
    """--stages check: the probe and CE-tuning at the tuning fraction, each
    seed, on the validation split; --cfg-options change CE-tuning's runs
    only; a verdict line."""
    from mmengine.config import Config
    argv = args_for(pretrained, tiny_fmnist, str(tmp_path), '--stages',
                    'check', '--tune-fraction', '0.5', '--seeds', '0', '1',
                    '--probe-epochs', '1', '--cfg-options',
                    'optim_wrapper.optimizer.lr=0.001')
    raw = ft.main(argv)
    from mmctune.registry import DATASETS
    val_images = len(
        DATASETS.build(
            ft.job_config(CE_CONFIG, (), 0.5, 0, 'val', ft.parse_args(argv),
                          str(tmp_path)).test_dataloader.dataset))
    assert sorted(raw['check']) == ['CE-tuning', 'linear probe']
    assert all(sorted(v) == [0, 1] for v in raw['check'].values())
    check = osp.join(str(tmp_path), 'check')
    assert sorted(os.listdir(check)) == ['CE-tuning', 'probe']
    for row in ('CE-tuning', 'probe'):
        runs = sorted(os.listdir(osp.join(check, row)))
        assert runs == ['50%_seed0', '50%_seed1']
        for run in runs:
            result = json.load(open(osp.join(check, row, run, 'result.json')))
            # scored on the validation split (the hold-out of 25%)
            assert result['test_images'] == val_images < 64
            dumped = [
                f for f in os.listdir(osp.join(check, row, run))
                if f.endswith('.py')
            ]
            cfg = Config.fromfile(osp.join(check, row, run, dumped[0]))
            lr = cfg.optim_wrapper.optimizer.lr
            assert (lr == 0.001) == (row == 'CE-tuning'), (row, lr)
    tables = open(osp.join(str(tmp_path), 'tables.md')).read()
    assert '| CE-tuning | every layer (optim_wrapper.optimizer.lr=0.001) |' \
        in tables
    assert '| linear probe | linear classifier |' in tables
    assert 'The check ' in tables


def test_check_verdict_needs_a_higher_mean_and_a_small_spread():
    probe = {0: 80.0, 1: 80.1, 2: 79.9}
    text = ft.check_verdict({0: 81.0, 1: 81.5, 2: 80.5}, probe)
    assert text.startswith('The check passes')
    assert '81.00 ± 0.50' in text and '(+1.00)' in text
    # above on average, but a collapsed seed: a spread over one point
    text = ft.check_verdict({0: 84.0, 1: 84.0, 2: 80.5}, probe)
    assert text.startswith('The check fails')
    assert 'spread is not under 1 point' in text
    # steady, but below the probe
    text = ft.check_verdict({0: 79.0, 1: 79.2, 2: 79.1}, probe)
    assert text.startswith('The check fails') and 'not above' in text
    assert 'its spread is under 1 point' in text
    # one seed has no spread to judge
    text = ft.check_verdict({0: 85.0}, probe)
    assert text.startswith('The check fails') and 'one seed' in text


def _accuracy(cfg, checkpoint):
    """Top-1 (%) of ``checkpoint`` on ``cfg``'s test split, counted here:
    the model loaded strictly, each image predicted."""
    from mmengine.runner import Runner

    from mmctune.apis import load_model_checkpoint
    from mmctune.registry import MODELS
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None
    model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    load_model_checkpoint(model, checkpoint)
    model.eval()
    right = total = 0
    with torch.no_grad():
        for data in Runner.build_dataloader(cfg.test_dataloader):
            for sample in model.test_step(data):
                right += int(sample.pred_label == sample.gt_label)
                total += 1
    return 100 * right / total


def test_ensemble_stage_chooses_on_validation_and_tests(
        pretrained, tiny_fmnist, tmp_path):
    # the soups' row trains its own grid: it need not be among --rows
    argv = args_for(pretrained, tiny_fmnist, str(tmp_path), '--rows',
                    'CE-tuning', '--fractions', '0.5', '--tune-fraction',
                    '0.5', '--seeds', '1', '--wise-ft-rows', 'CE-tuning',
                    '--soup-row', 'SCL (+L_con)', '--stages', 'tune',
                    'ensemble')
    with pytest.raises(SystemExit):  # the rows' values come from tune
        ft.parse_args(argv[:-2] + ['ensemble'])
    with pytest.raises(SystemExit):  # CE-tuning has no grid to soup
        ft.parse_args(argv + ['--soup-row', 'CE-tuning'])
    with pytest.raises(SystemExit):  # not tuned: not among --rows
        ft.parse_args(argv + ['--wise-ft-rows', 'Core-tuning'])
    raw = ft.main(argv)
    top1 = {(n, s): v for n, _, s, v in raw['ensemble']['top1']}
    root = osp.join(str(tmp_path), 'ensemble')
    args = ft.parse_args(argv)
    for seed in (1, ):
        # WiSE-FT: the alpha of the best validation score, tested
        folder = osp.join(root, 'wise-ft', 'CE-tuning', f'50%_seed{seed}')
        rec = json.load(open(osp.join(folder, 'ensemble.json')))
        assert rec['alpha'] == max((float(a) for a in rec['candidates']),
                                   key=lambda a:
                                   (rec['candidates'][f'{a:g}'], -a))
        assert rec['val'] == rec['candidates'][f'{rec["alpha"]:g}']
        assert top1[('WiSE-FT of CE-tuning', seed)] == rec['top1']
        job = ft.final_jobs(args, {}, [ft.rows_of(args)[0]])[0][0]
        cfg = job.config()
        assert rec['top1'] == pytest.approx(
            _accuracy(cfg, osp.join(folder, 'wise_ft.pth')))
        # soups: the three grid runs of this seed; the best single run is
        # the best on validation, the greedy soup starts from it
        folder = osp.join(root, 'soup', ft.slug('SCL (+L_con)'),
                          f'50%_seed{seed}')
        rec = json.load(open(osp.join(folder, 'ensemble.json')))
        vals = [i['val'] for i in rec['ingredients']]
        assert len(vals) == 3
        assert rec['best']['index'] == vals.index(max(vals))
        assert rec['greedy']['kept'][0] == rec['best']['point']
        assert rec['greedy']['val'] >= rec['best']['val']
        assert top1[('SCL (+L_con), grid best on validation', seed)] == \
            rec['ingredients'][rec['best']['index']]['top1']
        assert rec['uniform']['top1'] == pytest.approx(
            _accuracy(cfg, osp.join(folder, 'soup_uniform.pth')))
    # the uniform soup's classifier is the mean of the runs'
    soup = torch.load(
        osp.join(folder, 'soup_uniform.pth'), weights_only=False)['state_dict']
    runs = [
        torch.load(
            osp.join(d,
                     open(osp.join(d, 'last_checkpoint')).read().strip()),
            weights_only=False)['state_dict'] for _, _, j in ft.soup_jobs(args)
        if j.work_dir.endswith(
            tuple(f'seed1/{ft.slug(i["point"])}' for i in rec['ingredients']))
        for d in [j.work_dir]
    ]
    assert len(runs) == 3
    torch.testing.assert_close(soup['head.fc.weight'],
                               sum(r['head.fc.weight'] for r in runs) / 3)
    tables = open(osp.join(str(tmp_path), 'tables.md')).read()
    assert '| WiSE-FT of CE-tuning |' in tables
    # only the selected rows are references: Core-tuning was not tuned
    assert '| Core-tuning |' not in tables and 'vs Core' not in tables
    assert '| greedy soup of SCL (+L_con)\'s grid |' in tables
    # a second call reuses every ensemble
    records = [
        osp.join(r, 'ensemble.json') for r, _, files in os.walk(root)
        if 'ensemble.json' in files
    ]
    assert len(records) == 2
    stamps = {p: os.stat(p).st_mtime_ns for p in records}
    ft.main(argv)
    assert {p: os.stat(p).st_mtime_ns for p in records} == stamps
    # ... and makes them again, the same, when their records are gone, in a
    # process where no run has set mmctune's scope (the runs are reused: the
    # benchmark trains them in worker processes)
    from mmengine.registry import DefaultScope
    for path in records:
        os.remove(path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        again = ft.main(argv)
    assert again['ensemble'] == json.loads(json.dumps(raw['ensemble']))


def test_tsne_stage_needs_the_tuning_and_both_rows(pretrained, tiny_fmnist,
                                                   tmp_path):
    """--stages tsne is refused before any run without tune (Core-tuning's
    values come from it), without CE-tuning or Core-tuning among --rows, or
    at a fraction without final runs (the stage itself is run by
    test_tunes_on_validation_then_tests_every_seed)."""
    argv = args_for(pretrained, tiny_fmnist, str(tmp_path), '--rows',
                    'CE-tuning', 'Core-tuning', '--fractions', '0.5',
                    '--tune-fraction', '0.5', '--seeds', '1', '--tsne-images',
                    '20', '--stages', 'tune', 'tsne')
    ft.parse_args(argv)
    with pytest.raises(SystemExit):  # Core-tuning's values come from tune
        ft.parse_args(argv[:-2] + ['tsne'])
    with pytest.raises(SystemExit):  # it compares CE- and Core-tuning
        ft.parse_args(argv + ['--rows', 'CE-tuning'])
    with pytest.raises(SystemExit):  # a fraction that has no final runs
        ft.parse_args(argv + ['--tsne-fraction', '0.1'])
    assert not os.listdir(tmp_path)


def fake_run_jobs(jobs, n_jobs):
    """Results without training: Core-tuning's validation top-1 is best at
    eta 0.1 at 25% labels and at eta 10 at 50%. Each job's folder, relative
    to the work dir, goes to ``fake_run_jobs.ran``."""
    best = {'25%': 0.1, '50%': 10.0}
    out = []
    for job in jobs:
        fake_run_jobs.ran.append(job.work_dir)
        name = osp.basename(job.work_dir)
        fraction = name.split('_')[0]
        eta = re.search(r'eta_([0-9.]+)', name)
        score = 70.0 if eta and float(eta.group(1)) == best[fraction] else 60.0
        out.append(dict(top1=score, seconds=1.0))
    return out


def test_tunes_at_each_fraction_and_reuses_a_tuning(pretrained, tiny_fmnist,
                                                    tmp_path, monkeypatch):
    """--tune-each-fraction: each fraction's final runs take the values
    chosen at that fraction; --chosen-from takes an earlier call's choice
    without tuning again (at each fraction, or one choice for all)."""
    monkeypatch.setattr(ft, 'run_jobs', fake_run_jobs)
    monkeypatch.setattr(fake_run_jobs, 'ran', [], raising=False)
    eta = 'model.head.con_loss.loss_weight'
    monkeypatch.setitem(ft.BENCHMARK['grids'], 'Core-tuning',
                        [dict(name='eta', path=eta, values=[0.1, 1, 10])])
    work = str(tmp_path / 'tuned')
    rows = ['--rows', 'CE-tuning', 'Core-tuning', '--seeds', '0', '1']
    raw = ft.main(
        args_for(pretrained, tiny_fmnist, work, *rows, '--fractions', '0.25',
                 '0.5', '--tune-each-fraction', '--stages', 'tune', 'final'))

    def ran(stage):
        folder = osp.join(work, stage, 'Core-tuning') + os.sep
        return sorted(d[len(folder):] for d in fake_run_jobs.ran
                      if d.startswith(folder))

    assert ran('tune') == [
        f'{f}_eta_{e}' for f in ('25%', '50%') for e in ('0.1', '1', '10')
    ]
    assert sorted(raw['tune_by_fraction']) == ['0.25', '0.5']
    assert 'tune' not in raw
    final = ran('final')
    assert final == [
        '25%_eta_0.1_seed0', '25%_eta_0.1_seed1', '50%_eta_10_seed0',
        '50%_eta_10_seed1'
    ]
    tables = open(osp.join(work, 'tables.md')).read()
    assert 'validation top-1 %, 25% labels' in tables
    assert 'validation top-1 %, 50% labels' in tables
    # each fraction's values in the row, and each seed's top-1 and gain
    assert '| Core-tuning | 25%: eta=0.1; 50%: eta=10 | 70.00 ± 0.00 | ' \
        '+10.00 ± 0.00 |' in tables
    assert '| Core-tuning | 50% | 70.00 (+10.00) | 70.00 (+10.00) |' in tables
    assert '| CE-tuning | 25% | 60.00 | 60.00 |' in tables

    # the same choice from the results file, at each fraction
    args = ft.parse_args(
        args_for(pretrained, tiny_fmnist, work, *rows, '--fractions', '0.25',
                 '0.5', '--stages', 'final', '--chosen-from',
                 osp.join(work, 'results.json')))
    jobs, _ = ft.final_jobs(args, ft.chosen_from(args), ft.rows_of(args))
    assert sorted(
        osp.basename(j.work_dir) for j in jobs
        if '/Core-tuning/' in j.work_dir) == final
    # a fraction it did not tune at is refused, naming those it did
    args.fractions = [0.1]
    with pytest.raises(SystemExit, match=r'tuned at \[0.25, 0.5\] only'):
        ft.chosen_from(args)
    # a call that tuned at one fraction: its choice at every fraction
    single = str(tmp_path / 'single')
    ft.main(
        args_for(pretrained, tiny_fmnist, single, *rows, '--fractions', '0.25',
                 '--tune-fraction', '0.5', '--stages', 'tune'))
    args = ft.parse_args(
        args_for(pretrained, tiny_fmnist, work, *rows, '--fractions', '0.25',
                 '0.5', '--stages', 'final', '--chosen-from',
                 osp.join(single, 'results.json')))
    assert ft.chosen_from(args) == {
        f: {
            'Core-tuning': ((eta, 10.0), )
        }
        for f in (0.25, 0.5)
    }
    with pytest.raises(SystemExit):  # it replaces the tune stage
        ft.parse_args(
            args_for(pretrained, tiny_fmnist, work, '--stages', 'tune',
                     'final', '--chosen-from', osp.join(work, 'results.json')))


def test_img_size_and_diagnose_reach_every_run(tiny_fmnist, tmp_path):
    """--img-size resizes every pipeline of every run (the probe's too);
    --diagnose adds the per-iteration record in runs of their own folders;
    a setting whose configs resize nothing refuses --img-size."""
    args = ft.parse_args([
        '--setting', 'imagenet-mbv2-12k', '--pretrained', 'mbv2.pth',
        '--data-root', tiny_fmnist, '--img-size', '64', '--diagnose'
    ])
    for config in (args.row_table[0][1], args.probe_config):
        job = ft.sweep_job(
            'run',
            str(tmp_path / 'run'),
            config=config,
            point=(),
            fraction=0.1,
            seed=0,
            evaluate_on='test',
            args=args)
        assert job.work_dir == str(tmp_path / 'run_diagnosed')
        cfg = job.config()
        scales = [
            t['scale']
            for loader in (cfg.train_dataloader, cfg.test_dataloader)
            for t in loader.dataset.get('dataset', loader.dataset).pipeline
            if t['type'].endswith('Resize')
        ]
        assert scales == [(64, 64), (64, 64)], config
        assert cfg.custom_hooks[-1] == dict(type='TrainDiagnosticsHook')
    plain = ft.parse_args(
        ['--pretrained', 'x.pth', '--data-root', tiny_fmnist])
    job = ft.sweep_job(
        'run',
        str(tmp_path / 'plain'),
        config=CE_CONFIG,
        point=(),
        fraction=0.1,
        seed=0,
        evaluate_on='test',
        args=plain)
    assert job.work_dir == str(tmp_path / 'plain')
    assert all(h['type'] != 'TrainDiagnosticsHook'
               for h in job.config().get('custom_hooks') or [])
    plain.img_size = 64
    with pytest.raises(SystemExit, match='resizes no images'):
        ft.job_config(CE_CONFIG, (), 0.1, 0, 'test', plain, str(tmp_path))


def test_tpgm_learns_its_radii_on_the_hold_out_only(pretrained, tiny_fmnist,
                                                    tmp_path):
    """TPGM's projection data (its hook's dataloader) is the sweep's
    validation split, read with the test pipeline: never the images a
    training subset holds, whatever the config's own projection data."""
    from mmctune.registry import DATASETS
    args = ft.parse_args(args_for(pretrained, tiny_fmnist, str(tmp_path)))
    config = 'configs/tpgm/r18-tiny_simclr_fmnist.py'
    for evaluate_on in ('val', 'test'):
        cfg = ft.job_config(config, (), 0.5, 0, evaluate_on, args,
                            str(tmp_path))
        hook, = cfg.custom_hooks
        train_set = DATASETS.build(cfg.train_dataloader.dataset)
        projection = DATASETS.build(hook.dataloader.dataset)
        assert projection.dataset.split == 'train'
        assert projection.dataset.pipeline.transforms[0].__class__.__name__ \
            == 'PackInputs'
        assert len(projection) > 0
        assert not set(train_set.indices) & set(projection.indices)
        if evaluate_on == 'val':
            scored = DATASETS.build(cfg.test_dataloader.dataset)
            assert sorted(scored.indices) == sorted(projection.indices)
