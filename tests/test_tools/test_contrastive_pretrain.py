"""SimCLR-style pre-training with TCL, and the SupCon / TCL supervised
two-stage protocol: the configs say the stated settings, stage 2 reads what
stage 1 writes, and a pre-training checkpoint trains a linear probe."""
import glob
import os.path as osp

from mmengine.config import Config

from mmctune.utils.launch import default_work_dir
from ..conftest import ROOT, run_python

TRAIN = osp.join(ROOT, 'tools', 'train.py')


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def test_tcl_self_supervised_config_is_the_supplements():
    cfg = load('pretrain/tcl_r18_cifar10.py')
    assert cfg.model.type == 'ContrastiveLearner'
    assert cfg.model.positives == 'instance'
    loss = cfg.model.loss
    assert (loss.type, loss.k1, loss.k2) == ('TCLLoss', 1.0, 1.5)
    assert cfg.model.backbone.depth == 18
    assert cfg.optim_wrapper.optimizer.type == 'mmpretrain.LARS'
    views = cfg.train_dataloader.dataset.pipeline[0]
    assert views.type == 'mmpretrain.MultiView' and views.num_views == 2


def test_supervised_two_stages_chain():
    for method, loss_type in (('supcon', 'SupConLoss'), ('tcl-sup',
                                                         'TCLLoss')):
        stage1 = f'pretrain/{method}_r50_cifar10.py'
        cfg1 = load(stage1)
        assert cfg1.model.positives == 'class'
        assert cfg1.model.loss.type == loss_type
        assert cfg1.train_cfg.max_epochs == 100  # the supplement's
        cfg2 = load(f'linear_probe/r50_{method}_cifar10.py')
        # stage 2 reads the last checkpoint of stage 1's default work dir
        expected = osp.join(
            default_work_dir(osp.join(ROOT, 'configs', stage1)),
            'epoch_100.pth')
        assert osp.normpath(cfg2.model.backbone.init_cfg.checkpoint) == \
            osp.normpath(expected)
        assert cfg2.train_cfg.max_epochs == 50
        assert cfg2.optim_wrapper.optimizer.lr == 0.5
        assert cfg2.model.backbone.frozen_stages == 4
        assert cfg2.model.backbone.norm_eval
    assert load('pretrain/tcl-sup_r50_cifar10.py').model.loss.k1 == 5000.0


def test_tcl_pretraining_then_linear_probe(tiny_fmnist, tmp_path):
    work = tmp_path / 'tcl'
    r = run_python(args=[
        TRAIN,
        osp.join(ROOT, 'configs/pretrain/tcl_r18-tiny_fmnist.py'), '--smoke',
        '--work-dir',
        str(work), '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_fmnist}',
        'train_dataloader.drop_last=False'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss_con' in r.stdout
    ckpt, = glob.glob(str(work / 'epoch_*.pth'))
    probe = tmp_path / 'probe'
    r = run_python(args=[
        TRAIN,
        osp.join(ROOT, 'configs/linear_probe/r18-tiny_fmnist.py'), '--smoke',
        '--work-dir',
        str(probe), '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={ckpt}',
        f'train_dataloader.dataset.data_root={tiny_fmnist}',
        f'val_dataloader.dataset.data_root={tiny_fmnist}'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'accuracy/top1' in r.stdout
