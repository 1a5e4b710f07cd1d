"""FiniteLossCheckHook stops a run at a NaN/Inf loss naming the step and the
term; DatasetCheckHook refuses an empty dataset, a class count that is not
the model's and labels outside [0, num_classes)."""
import glob
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset

from mmctune.engine.hooks import DatasetCheckHook, FiniteLossCheckHook
from ...conftest import ROOT, run_python, write_tiny_config

TRAIN = osp.join(ROOT, 'tools', 'train.py')


def runner(iter=6, epoch=1):
    from mmengine.runner import EpochBasedTrainLoop
    loop = object.__new__(EpochBasedTrainLoop)  # what the hook checks
    return SimpleNamespace(iter=iter, epoch=epoch, train_loop=loop)


def test_finite_losses_pass():
    FiniteLossCheckHook().after_train_iter(
        runner(), 0, outputs=dict(loss=torch.tensor(1.5), loss_con=0.2))


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_term_is_named_with_the_step(bad):
    outputs = dict(
        loss=torch.tensor(bad),
        loss_ce=torch.tensor(0.7),
        loss_con=torch.tensor(bad))
    with pytest.raises(FloatingPointError) as err:
        FiniteLossCheckHook().after_train_iter(runner(), 2, outputs=outputs)
    msg = str(err.value)
    assert f'non-finite loss at iteration 7 (epoch 2, batch 3): loss={bad}, '\
        f'loss_con={bad} (finite: loss_ce=0.7)' in msg


def test_a_run_whose_loss_explodes_stops_before_saving_nan(
        tiny_fmnist, tmp_path):
    # a sane first epoch, then a learning rate of 1e20
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/coretune/r18-tiny_simclr_fmnist.py',
        extra="""
train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = dict(_delete_=True, type='MultiStepLR', milestones=[1],
                       gamma=1e20, by_epoch=True)
""")
    work = str(tmp_path / 'work')
    r = run_python(args=[TRAIN, cfg, '--work-dir', work], timeout=600)
    assert r.returncode != 0
    assert 'FloatingPointError: non-finite loss at iteration' in r.stdout
    assert '(epoch 2, batch' in r.stdout
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    for path in glob.glob(osp.join(work, '*.pth')):
        sd = torch.load(
            path, map_location='cpu', weights_only=False)['state_dict']
        assert all(
            torch.isfinite(v).all() for v in sd.values()
            if v.is_floating_point())


class Labels(BaseDataset):
    METAINFO = dict(classes=('a', 'b', 'c'))

    def __init__(self, labels, **kwargs):
        self.labels = labels
        # (mmengine's serialisation fails on an empty list by itself)
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(gt_label=np.int64(c)) for c in self.labels]


def test_dataset_check():
    head = {'model.head.num_classes': 3}
    DatasetCheckHook.check('train_dataloader', Labels([0, 2, 1]), head)
    with pytest.raises(
            ValueError, match='train_dataloader: the dataset Labels is empty'):
        DatasetCheckHook.check('train_dataloader', Labels([]), head)
    with pytest.raises(
            ValueError,
            match="model.head.num_classes=5 but val_dataloader's dataset "
            'Labels has 3 classes; set model.head.num_classes=3'):
        DatasetCheckHook.check('val_dataloader', Labels([0]),
                               {'model.head.num_classes': 5})
    with pytest.raises(
            ValueError,
            match=r'sample 1 of Labels has the label 3, outside \[0, 3\)'):
        DatasetCheckHook.check('train_dataloader', Labels([0, 3, 1, 7]), head)
    # no model part with a class count (pre-training): only emptiness
    DatasetCheckHook.check('train_dataloader', Labels([0, 9]), {})


def test_an_empty_image_folder_is_named(tmp_path):
    from mmpretrain.datasets import CustomDataset
    (tmp_path / 'cat').mkdir()
    with pytest.raises(RuntimeError, match='Found 0 files in subfolders of'):
        CustomDataset(data_root=str(tmp_path))


def test_num_classes_that_disagree_with_the_dataset_stop_the_run(
        tiny_fmnist, tmp_path):
    cfg = write_tiny_config(tmp_path / 'cfg.py', tiny_fmnist)
    r = run_python(args=[
        TRAIN, cfg, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', 'model.head.num_classes=5'
    ])
    assert r.returncode != 0
    assert ("model.head.num_classes=5 but train_dataloader's dataset "
            'FashionMNIST') in r.stdout
