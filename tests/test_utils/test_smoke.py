"""--smoke shrinks a paper config consistently: schedule, every split,
batch, workers and every image size, and nothing else."""
import os.path as osp

from mmengine.config import Config

from mmctune.utils.smoke import describe, smoke_cfg
from ..conftest import ROOT


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def transforms(pipeline):
    return {t['type'].split('.')[-1]: t for t in pipeline}


def test_a_classification_config_shrinks_consistently():
    # the random-resized-crop recipe; its test_dataloader is its
    # val_dataloader (one object): shrunk once, not twice
    cfg = load('coretune/r50_moco_cifar10_rrc.py')
    full = load('coretune/r50_moco_cifar10_rrc.py')
    line, = describe(cfg, smoke_cfg(cfg))
    assert line.startswith('--smoke: 1 epoch, the first 16 images of each '
                           'split, batch 4, no workers')
    assert cfg.train_cfg.max_epochs == 1 and cfg.train_cfg.val_interval == 1
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        assert loader.batch_size == 4 and loader.num_workers == 0
        assert loader.dataset.indices == 16
    assert cfg.auto_scale_lr.base_batch_size == 4
    train = transforms(cfg.train_dataloader.dataset.pipeline)
    test = transforms(cfg.test_dataloader.dataset.pipeline)
    assert train['RandomResizedCrop']['scale'] == 64  # 224 * 64 / 224
    assert test['Resize']['scale'] in (73, (73, 73))  # 256 * 64 / 224
    assert test['CenterCrop']['crop_size'] == 64
    # nothing else changes: the model, its head and pre-training, the optimizer
    assert cfg.model == full.model
    assert cfg.optim_wrapper == full.optim_wrapper


def test_the_rotation_recipe_shrinks_each_size_once():
    """The CIFAR recipe trains on 256 px crops: they become the stated 64
    px (every size scaled by 64 / 256), not 73 (64 / 224)."""
    cfg = load('coretune/r50_moco_cifar10.py')
    smoke_cfg(cfg)
    train = transforms(cfg.train_dataloader.dataset.pipeline)
    assert train['Resize']['scale'] in (68, (68, 68))  # 272 * 64 / 256
    assert train['RandomCrop']['crop_size'] in (64, (64, 64))  # 256
    for split in ('val', 'test'):
        test = transforms(cfg[f'{split}_dataloader'].dataset.pipeline)
        assert test['Resize']['scale'] in (64, (64, 64))  # 256


def test_the_log_line_says_what_the_options_made_of_it():
    """--cfg-options apply on top of --smoke: the line says the run's
    length and batch after them."""
    cfg = load('coretune/r50_moco_cifar10.py')
    notes = smoke_cfg(cfg)
    cfg.merge_from_dict({
        'train_cfg.max_epochs': 3,
        'train_dataloader.batch_size': 8
    })
    line, = describe(cfg, notes)
    assert line.startswith('--smoke: 3 epochs, the first 16 images of each '
                           'split, batch 8')


def test_a_segmentation_config_shrinks_its_crop_and_padding():
    cfg = load('seg/deeplabv3_r50_moco_coretune_voc12aug.py')
    smoke_cfg(cfg)
    assert cfg.model.data_preprocessor.size == (64, 64)
    train = transforms(cfg.train_dataloader.dataset.datasets[0].pipeline)
    assert train['RandomCrop']['crop_size'] == (64, 64)
    assert train['RandomResize']['scale'] == (256, 64)  # (2052, 513) / 8
    for d in cfg.train_dataloader.dataset.datasets:
        assert d.indices == 16


def test_sizes_at_or_below_the_target_stay():
    cfg = load('coretune/r18-tiny_simclr_fmnist.py')
    smoke_cfg(cfg)
    train = transforms(cfg.train_dataloader.dataset.pipeline)
    assert train['RandomCrop']['crop_size'] == 28


def test_a_label_fraction_config_keeps_its_subset_and_shrinks_it():
    """The 16 images are taken from the LabelFraction subset (the wrapper
    takes `indices`), not from the data it samples from, where the first 16
    of a class-sorted folder could hold too few for a 10% subset."""
    cfg = load('label_fraction/coretune_r50_moco_imagenet20_10pct.py')
    smoke_cfg(cfg)
    wrapper = cfg.train_dataloader.dataset
    assert wrapper.type == 'LabelFraction' and wrapper.indices == 16
    assert 'indices' not in wrapper.dataset


def test_label_fraction_indices_keep_the_first_of_the_subset():
    import numpy as np

    from mmctune.datasets import LabelFraction

    class Labels:
        metainfo = dict(classes=list(range(4)))

        def full_init(self):
            pass

        def __len__(self):
            return 400

        def get_data_info(self, i):
            return dict(gt_label=i % 4)

    full = LabelFraction(Labels(), fraction=0.5, seed=0)
    few = LabelFraction(Labels(), fraction=0.5, seed=0, indices=16)
    assert len(full) == 200 and len(few) == 16
    np.testing.assert_array_equal(few.indices, full.indices[:16])
