"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on a
tiny Fashion-MNIST, each run in its own interpreter as a user runs it."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from ..conftest import ROOT, free_port, run_python

TRAIN = osp.join(ROOT, 'tools', 'train.py')
TEST = osp.join(ROOT, 'tools', 'test.py')


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory, tiny_fmnist):
    """The demo's fine-tuning config on 64 images, 2 epochs, no random
    augmentation (so that a resumed run can equal an uninterrupted one)."""
    path = tmp_path_factory.mktemp('cfg') / 'tiny_fmnist.py'
    path.write_text(f"""
_base_ = [{osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py')!r}]
model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(
    batch_size=16,  # 1 GPU x 16 = 16, the recipe's total below
    dataset=dict(data_root={tiny_fmnist!r}, indices=None,
                 pipeline=[dict(type='mmpretrain.PackInputs')]))
val_dataloader = dict(batch_size=16, dataset=dict(data_root={tiny_fmnist!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=1)
# `end` pinned: mmengine defaults it to max_epochs and saves it with the
# scheduler, so the 1-epoch run below, given the 2-epoch span on the command
# line too (tools/train.py would fit the schedule to a shorter run), stands
# in for an interrupted 2-epoch one
param_scheduler = dict(T_max=2, end=2)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(max_keep_ckpts=3))
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=16)
""")
    return str(path)


def train(*args):
    r = run_python(args=[TRAIN, *args])
    return r


def weights(path):
    return torch.load(
        path, map_location='cpu', weights_only=False)['state_dict']


def scalars(work_dir):
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert files, f'no scalars.json in {work_dir}'
    with open(sorted(files)[-1]) as f:
        return [json.loads(line) for line in f]


def test_train_validates_and_saves(tiny_config, tmp_path):
    work = str(tmp_path / 'run')
    r = train(tiny_config, '--work-dir', work)
    assert r.returncode == 0, r.stdout[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    assert glob.glob(osp.join(work, 'best_accuracy_top1_epoch_*.pth'))
    vals = [s for s in scalars(work) if 'accuracy/top1' in s]
    assert [s['step'] for s in vals] == [1, 2]
    assert all(0 <= s['accuracy/top1'] <= 100 for s in vals)


def test_resume_equals_uninterrupted(tiny_config, tmp_path):
    whole, parts = str(tmp_path / 'whole'), str(tmp_path / 'parts')
    r = train(tiny_config, '--work-dir', whole)
    assert r.returncode == 0, r.stdout[-3000:]
    r = train(tiny_config, '--work-dir', parts, '--cfg-options',
              'train_cfg.max_epochs=1', 'param_scheduler.end=2')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'as --cfg-options param_scheduler.end sets: kept' in r.stdout
    assert not osp.exists(osp.join(parts, 'epoch_2.pth'))
    r = train(tiny_config, '--work-dir', parts, '--resume')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'resumed epoch: 1' in r.stdout
    a, b = weights(osp.join(whole, 'epoch_2.pth')), weights(
        osp.join(parts, 'epoch_2.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=1e-5, msg=k)
    # and training did change the weights
    first = weights(osp.join(parts, 'epoch_1.pth'))
    assert not torch.equal(first['head.fc.weight'], b['head.fc.weight'])


def test_resume_from_a_path(tiny_config, tmp_path):
    work = str(tmp_path / 'run')
    assert train(tiny_config, '--work-dir', work, '--cfg-options',
                 'train_cfg.max_epochs=1').returncode == 0
    r = train(tiny_config, '--work-dir', work, '--resume',
              osp.join(work, 'epoch_1.pth'))
    assert r.returncode == 0, r.stdout[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def test_test_script(tiny_config, tmp_path):
    work = str(tmp_path / 'run')
    assert train(tiny_config, '--work-dir', work, '--cfg-options',
                 'train_cfg.max_epochs=1').returncode == 0
    out = str(tmp_path / 'preds.pkl')
    r = run_python(args=[
        TEST, tiny_config,
        osp.join(work, 'epoch_1.pth'), '--work-dir', work, '--out', out,
        '--verbose'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'accuracy/top1' in r.stdout
    assert 'data: test 32 samples' in r.stdout
    assert 'Config:' in r.stdout  # --verbose: mmengine's full console
    import mmengine
    preds = mmengine.load(out)
    assert len(preds) == 32  # every test image


@pytest.mark.parametrize('args,message', [
    (['configs/no/such.py'], 'config file configs/no/such.py not found'),
    (['{cfg}', '--resume', '/no/ckpt.pth'], 'no checkpoint /no/ckpt.pth'),
    (['{cfg}', '--cfg-options', 'model.backbone.dept=18'], 'dept'),
    (['{cfg}', '--cfg-options', 'train_dataloder.batch_size=4'
      ], 'has no key "train_dataloder"'),
    ([
        '{cfg}', '--cfg-options', 'model.backbone.init_cfg.type=Pretrained',
        'model.backbone.init_cfg.checkpoint=/no/w.pth'
    ], '/no/w.pth'),
])
def test_bad_input_is_named(tiny_config, tmp_path, args, message):
    (['{cfg}', '--cfg-options', 'model.head.type=NoSuchHead'],
     'NoSuchHead is not in the mmctune::model registry'),
    (['{cfg}', '--cfg-options', 'train_dataloader.dataset.data_root=/no/dr'],
     'Cannot find FashionMNIST dataset in /no/dr'),
    (['{cfg}', '--resume'], 'no checkpoint to resume from in the work '
     'directory'),
    args = [a.format(cfg=tiny_config) for a in args]
    r = train(*args, '--work-dir', str(tmp_path / 'w'))
    assert r.returncode != 0
    assert message in r.stdout


def test_a_missing_base_config_is_named(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("_base_ = ['./no_such_base.py']\n")
    r = train(str(cfg), '--work-dir', str(tmp_path / 'w'))
    assert r.returncode != 0
    assert 'FileNotFoundError' in r.stdout
    assert str(tmp_path / 'no_such_base.py') in r.stdout.replace('/./', '/')


def test_resume_refuses_a_truncated_checkpoint(tiny_config, tmp_path):
    work = str(tmp_path / 'run')
    assert train(tiny_config, '--work-dir', work, '--cfg-options',
                 'train_cfg.max_epochs=1').returncode == 0
    ckpt = osp.join(work, 'epoch_1.pth')
    with open(ckpt, 'r+b') as f:
        f.truncate(1000)
    for args in (['--resume'], ['--resume', ckpt]):
        r = train(tiny_config, '--work-dir', work, *args)
        assert r.returncode != 0
        assert f'the checkpoint {ckpt} is truncated or corrupt' in r.stdout


def test_test_script_missing_checkpoint(tiny_config):
    r = run_python(args=[TEST, tiny_config, '/no/such/ckpt.pth'])
    assert r.returncode != 0
    assert 'checkpoint file /no/such/ckpt.pth not found' in r.stdout


def dist_run(script, *args):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    r = subprocess.run(['bash', osp.join(ROOT, 'tools', script), *args],
                       cwd=ROOT,
                       env=env,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    return r


def scores(path):
    import mmengine
    return torch.stack(
        [torch.as_tensor(p['pred_score']) for p in mmengine.load(path)])


def test_dist_train_two_cpu_processes(tiny_config, tmp_path):
    """2 CPU processes: the run works and says how; the model validated is
    the model saved (its per-image scores equal a one-process test of the
    checkpoint); tools/dist_test.sh (with --tta too) gives the one-process
    test's scores."""
    work = str(tmp_path / 'dist')
    val_dump = str(tmp_path / 'val.pkl')
    config = tmp_path / 'dump_val.py'
    config.write_text(f"""_base_ = [{tiny_config!r}]
val_evaluator = [dict(type='mmpretrain.Accuracy', topk=(1, )),
                 dict(type='DumpResults', out_file_path={val_dump!r})]
""")
    r = dist_run('dist_train.sh', str(config), '2', '--work-dir', work)
    assert 'FutureWarning' not in r.stdout
    # the console names the processes and the backend; mmengine's
    # environment dump ("GPU number") is in the log file only
    assert '2 processes (gloo)' in r.stdout
    assert 'GPU number' not in r.stdout
    log, = glob.glob(osp.join(work, '*', '*.log'))
    assert 'Distributed training: True' in open(log).read()
    assert 'the "gloo" backend instead of "nccl"' in r.stdout
    assert 'all_gather is deprecated' not in r.stdout  # feature gathering
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    # the recipe's total batch 16 kept: 2 ranks x 8, so 64 images make 4
    # iterations an epoch
    assert 'total 16 kept on 2 processes: 8 per process' in r.stdout
    train_logs = [s for s in scalars(work) if 'loss' in s]
    assert max(s['step'] for s in train_logs) == 8

    # the last validation is of the saved model (the processes' BN
    # statistics averaged first: SyncNormStatsHook)
    ckpt = osp.join(work, 'epoch_2.pth')
    out = str(tmp_path / 'test.pkl')
    r = run_python(
        args=[TEST, str(config), ckpt, '--work-dir', work, '--out', out])
    assert r.returncode == 0, r.stdout[-3000:]
    torch.testing.assert_close(scores(val_dump), scores(out))

    # --tta, in one process and in two
    tta, tta2 = str(tmp_path / 'tta.pkl'), str(tmp_path / 'tta2.pkl')
    r = run_python(args=[
        TEST,
        str(config), ckpt, '--work-dir', work, '--tta', '--out', tta
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    dist_run('dist_test.sh', str(config), ckpt, '2', '--work-dir', work,
             '--tta', '--out', tta2)
    torch.testing.assert_close(scores(tta2), scores(tta))
    assert not torch.allclose(scores(tta), scores(out))


def test_test_script_refuses_a_checkpoint_that_does_not_fit(
        tiny_config, tmp_path):
    work = str(tmp_path / 'run')
    assert train(tiny_config, '--work-dir', work, '--cfg-options',
                 'train_cfg.max_epochs=1').returncode == 0
    sd = weights(osp.join(work, 'epoch_1.pth'))
    wrong = str(tmp_path / 'wrong_prefix.pth')
    torch.save({'state_dict': {
        'module.' + k: v
        for k, v in sd.items()
    }}, wrong)
    r = run_python(args=[TEST, tiny_config, wrong])
    assert r.returncode != 0
    assert 'missing keys' in r.stdout and 'backbone.conv1.weight' in r.stdout


def test_test_script_val_override_reaches_the_test(tiny_trained, tmp_path):
    """The documented `--cfg-options val_dataloader.dataset.data_root=...`
    reaches tools/test.py's test set (the configs' test_dataloader is a copy
    of val_dataloader made at parse time)."""
    cfg, _, ckpt = tiny_trained
    r = run_python(args=[
        TEST, cfg, ckpt, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        'val_dataloader.dataset.data_root=/no/such/fmnist'
    ])
    assert r.returncode != 0
    assert 'also set test_dataloader.dataset.data_root' in r.stdout
    assert '/no/such/fmnist' in r.stdout.split('also set')[-1]


def test_a_ce_checkpoint_tests_with_a_core_tuning_config(
        tiny_trained, tiny_fmnist, tmp_path):
    """The projector is not used to predict: a CE-tuned checkpoint (no
    projector) tests with the Core-tuning config, saying which parts kept
    their initial values; a checkpoint of another model names the real fix,
    not `prefix`."""
    from ..conftest import write_tiny_config
    _, _, ckpt = tiny_trained
    core = write_tiny_config(
        tmp_path / 'core.py',
        tiny_fmnist,
        base='configs/coretune/r18-tiny_simclr_fmnist.py')
    r = run_python(args=[TEST, core, ckpt, '--work-dir', str(tmp_path / 'w')])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'keys of parts not used to predict are not in the checkpoint' \
        in r.stdout
    assert 'head.projector.' in r.stdout
    assert 'accuracy/top1' in r.stdout

    sd = weights(ckpt)
    other = str(tmp_path / 'other.pth')
    torch.save(
        {
            'state_dict': {
                k: v
                for k, v in sd.items() if not k.startswith('head.fc')
            }
        }, other)
    r = run_python(args=[TEST, core, other, '--work-dir', str(tmp_path / 'w')])
    assert r.returncode != 0
    assert 'missing keys (2 of' in r.stdout and 'head.fc.weight' in r.stdout
    assert 'test it with the config it was trained with' in r.stdout
    assert 'Set `prefix`' not in r.stdout


def test_diagnose_records_every_iteration_and_keeps_the_configs_hooks(
        tiny_fmnist, tmp_path):
    """--diagnose: TrainDiagnosticsHook's line per iteration beside the log,
    added to the config's own hooks (COIN's stage switch stays)."""
    from ..conftest import write_tiny_config
    cfg = write_tiny_config(
        tmp_path / 'coin.py',
        tiny_fmnist,
        base='configs/coin/r18-tiny_simclr_fmnist.py',
        extra='train_cfg = dict(max_epochs=2)\nwork_dir = ' +
        repr(str(tmp_path / 'run')))
    r = run_python(args=[TRAIN, cfg, '--smoke', '--diagnose'])
    assert r.returncode == 0, r.stdout[-3000:]
    assert '--diagnose: every iteration\'s record' in r.stdout
    record, = glob.glob(
        str(tmp_path / 'run_smoke' / '*' / 'diagnostics.jsonl'))
    rows = [json.loads(line) for line in open(record)]
    # --smoke: 16 images, batch 4, 1 epoch
    assert [row['iter'] for row in rows] == [0, 1, 2, 3]
    assert {'loss_con', 'grad_norm/backbone', 'bn/mean_shift'} <= set(rows[0])
    log, = glob.glob(str(tmp_path / 'run_smoke' / '*' / '*.log'))
    hooks = open(log).read().split('Hooks will be executed')[1]
    assert 'StageSwitchHook' in hooks and 'TrainDiagnosticsHook' in hooks


def test_smoke_run_of_a_config(tiny_fmnist, tmp_path):
    """--smoke: the config end to end, shrunk, into <work dir>_smoke (never
    the real run's folder), and --cfg-options still apply on top."""
    from ..conftest import write_tiny_config
    cfg = write_tiny_config(
        tmp_path / 'core.py',
        tiny_fmnist,
        base='configs/coretune/r18-tiny_simclr_fmnist.py',
        extra='train_cfg = dict(max_epochs=5)\nwork_dir = ' +
        repr(str(tmp_path / 'run')))
    # a fresh interpreter: what the imports print counts as console noise
    r = run_python(
        args=[
            TRAIN, cfg, '--smoke', '--cfg-options',
            'train_dataloader.batch_size=8'
        ],
        fresh=True)
    assert r.returncode == 0, r.stdout[-3000:]
    assert '--smoke: 1 epoch, the first 16 images of each split' in r.stdout
    assert osp.isfile(tmp_path / 'run_smoke' / 'epoch_1.pth')
    # a quiet console: what was run, where, on what data, and the progress;
    # the config, environment and hook order in the log file only
    assert 'data: train 16 samples, batch 8 per process' in r.stdout
    for noise in ('Config:', 'System environment', 'Hooks will be executed',
                  'FileClient', 'HardDiskBackend', 'not writable',
                  'RandomStateHook'):
        assert noise not in r.stdout, noise
    assert len(r.stdout.splitlines()) < 40, r.stdout
    log, = glob.glob(str(tmp_path / 'run_smoke' / '*' / '*.log'))
    log = open(log).read()
    assert 'Config:' in log and 'Hooks will be executed' in log
    assert not (tmp_path / 'run').exists()
    # 16 images at the user's batch 8: 2 iterations
    train_logs = [
        s for s in scalars(str(tmp_path / 'run_smoke')) if 'loss' in s
    ]
    assert max(s['step'] for s in train_logs) == 2


def first_loss(work_dir):
    return next(s['loss'] for s in scalars(work_dir) if s['step'] == 1)


def test_a_test_run_leaves_the_training_copy_which_retrains_the_run(
        tiny_trained, tmp_path):
    """tools/test.py in the training run's work dir writes its config beside
    its own log, not over the training copy (it drops the pre-training and
    adds its own options, e.g. --tta's wrapper); the training copy trains
    the same run again, pre-trained weights included."""
    from .tool_loader import load_tool
    train_tool, test_tool = load_tool('train.py'), load_tool('test.py')
    _, _, pretrained = tiny_trained
    config = tmp_path / 'pre.py'
    config.write_text(f"""_base_ = [{tiny_trained[0]!r}]
model = dict(backbone=dict(init_cfg=dict(
    _delete_=True, type='Pretrained', checkpoint={pretrained!r},
    prefix='backbone.')))
train_cfg = dict(max_epochs=1)
param_scheduler = dict(T_max=1)
""")
    work = tmp_path / 'run'
    train_tool.main([str(config), '--work-dir', str(work)])
    copy = work / 'pre.py'
    written = copy.read_text()
    assert 'Pretrained' in written
    test_tool.main([
        str(config),
        str(work / 'epoch_1.pth'), '--work-dir',
        str(work), '--tta', '--cfg-options', 'test_dataloader.batch_size=8'
    ])
    assert copy.read_text() == written
    test_copy, = [
        p for p in glob.glob(str(work / '*' / 'pre.py'))
        if 'TTA' in open(p).read()
    ]
    assert 'init_cfg' not in open(test_copy).read().split('backbone')[1][:200]

    again = tmp_path / 'again'
    retrain = tmp_path / 'retrain.py'  # the copy, under a name of its own
    retrain.write_text(written)
    train_tool.main([str(retrain), '--work-dir', str(again)])
    assert first_loss(str(again)) == first_loss(str(work))


def test_load_from_is_strict_unless_told(tiny_trained, tmp_path):
    """load_from of another network stops before training (mmengine loads
    it non-strictly: the run would train from the initial weights without
    a word); load_from_strict=False loads what fits and lists the rest."""
    from mmctune.models.utils import CheckpointMismatchError
    from .tool_loader import load_tool
    train_tool = load_tool('train.py')
    config, _, ckpt = tiny_trained
    wider = ['model.backbone.base_channels=8', 'model.head.in_channels=64']
    args = [
        config, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', f'load_from={ckpt}',
        'train_cfg.max_epochs=1', 'param_scheduler.T_max=1', *wider
    ]
    with pytest.raises(CheckpointMismatchError) as err:
        train_tool.main(args)
    assert 'another architecture' in str(err.value)
    assert 'load_from_strict=False' in str(err.value)
    assert not glob.glob(str(tmp_path / 'w' / '*.pth'))

    runner = train_tool.main(args + ['load_from_strict=False'])
    log = sorted(glob.glob(str(tmp_path / 'w' / '*' / '*.log')))[-1]
    text = open(log).read()
    line = next(t for t in text.splitlines() if 'load_from_strict=False:' in t)
    kept = line.split('keep their initial values: ')[1].split(';')[0]
    assert 'backbone.layer1.0.conv1.weight' in kept.split(', ')
    assert 'head.fc.weight' in kept.split(', ')
    assert runner.epoch == 1


def test_the_documented_dict_options_train(tiny_fmnist, tmp_path):
    """The two dict options docs/get_started.md shows, as written there, on
    the demo's Core-tuning config (tiny data): the loss replaced whole, the
    hook added."""
    import re

    from mmengine.hooks import EMAHook

    from mmctune.models.losses import TCLLoss
    from ..conftest import write_tiny_config
    from .tool_loader import load_tool
    with open(osp.join(ROOT, 'docs', 'get_started.md')) as f:
        doc = f.read().split('### Options that are dicts', 1)[1]
    options = re.findall(r'--cfg-options \\\n\s+(\S+="[^"]+")', doc)
    assert len(options) == 2
    config = write_tiny_config(
        tmp_path / 'core.py',
        tiny_fmnist,
        base='configs/coretune/r18-tiny_simclr_fmnist.py')
    runner = load_tool('train.py').main([
        config, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        *[o.replace('"', '') for o in options]
    ])
    loss = runner.model.head.con_loss
    assert type(loss) is TCLLoss and loss.temperature == 0.1
    assert loss.loss_weight == 0.1
    assert any(isinstance(h, EMAHook) for h in runner.hooks)
