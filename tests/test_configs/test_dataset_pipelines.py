"""The classification configs' pipelines, built from the configs and run on
images made here: supplement C.2 of the Core-tuning paper. Test: both sides
to 256, then the centre 224x224 (CIFAR: the released script's resize to 256,
no crop). Train on CIFAR and Aircraft: rescaling + rotation with the
released script's values; elsewhere, and in the *_rrc alternatives, random
resized crop 224 + flip. Flowers: the Kaggle split by default, the official
one as the alternative."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from PIL import Image

from mmctune.registry import TRANSFORMS
from mmctune.utils import register_all_modules
from ..conftest import ROOT

register_all_modules()

# the datasets read from image files, each CE-tuning config (every method's
# config on that dataset inherits its pipelines: test_configs.py checks SCL
# and Core-tuning against CE)
FILE_DATASETS = ('imagenet20', 'caltech101', 'dtd', 'aircraft', 'cars', 'pets',
                 'flowers', 'inat18', 'aircraft_rrc', 'flowers_official-split')
CIFAR = ('cifar10', 'cifar100')


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def build(pipeline):
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def names(pipeline):
    return [t['type'].split('.')[-1] for t in pipeline]


def left_quarter_black(h, w):
    """White image, its left quarter black: after a resize the black columns
    show where the left edge went."""
    img = np.full((h, w, 3), 255, np.uint8)
    img[:, :w // 4] = 0
    return img


def black_columns(chw):
    """Columns of a (C, H, W) tensor that are mostly black."""
    return int((chw.float().mean(dim=(0, 1)) < 128).sum())


@pytest.fixture()
def image_file(tmp_path):
    path = str(tmp_path / 'img.png')
    Image.fromarray(left_quarter_black(200, 400)).save(path)
    return path


@pytest.mark.parametrize('dataset', FILE_DATASETS)
def test_file_datasets_test_resize_both_sides_then_centre_crop(
        dataset, image_file):
    """C.2: "resize images to 256x256 and then take a 224x224 center crop".
    A 200x400 image whose left 100 columns are black: 256x256 keeps 64 black
    columns, the crop cuts 16 of them, 48 stay (resizing the short side to
    256 would give 512 columns, 128 black, and the crop none)."""
    cfg = load(f'baselines/ce_r50_moco_{dataset}.py')
    assert cfg.val_dataloader.dataset.pipeline == \
        cfg.test_dataloader.dataset.pipeline
    out = build(cfg.test_dataloader.dataset.pipeline)(
        dict(img_path=image_file))
    assert tuple(out['inputs'].shape) == (3, 224, 224)
    assert black_columns(out['inputs']) == 48


@pytest.mark.parametrize('dataset', CIFAR)
def test_cifar_test_pipeline_is_the_released_scripts(dataset):
    """transforms.Resize(256) of a 32x32 image, no crop: the left 8 black
    columns become 64 of 256."""
    pipeline = load(
        f'baselines/ce_r50_moco_{dataset}.py').test_dataloader.dataset.pipeline
    assert names(pipeline) == ['Resize', 'PackInputs']
    out = build(pipeline)(dict(img=left_quarter_black(32, 32)))
    assert tuple(out['inputs'].shape) == (3, 256, 256)
    assert black_columns(out['inputs']) == 64


@pytest.mark.parametrize('dataset', CIFAR)
def test_cifar_rrc_alternative_tests_as_c2(dataset):
    cfg = load(f'baselines/ce_r50_moco_{dataset}_rrc.py')
    out = build(cfg.test_dataloader.dataset.pipeline)(
        dict(img=left_quarter_black(32, 32)))
    assert tuple(out['inputs'].shape) == (3, 224, 224)
    assert black_columns(out['inputs']) == 48
    assert names(cfg.train_dataloader.dataset.pipeline) == \
        ['RandomResizedCrop', 'RandomFlip', 'PackInputs']


def rotate_transform(pipeline):
    (rotate, ) = [t for t in pipeline if t['type'] == 'mmpretrain.Rotate']
    return TRANSFORMS.build(rotate)


def measured_angle(img):
    """The angle (degrees) of the white bar through the centre of ``img``,
    from a line fit through its pixels."""
    ys, xs = np.nonzero(img[..., 0] > 128)
    slope = np.polyfit(xs, ys, 1)[0]
    return float(np.degrees(np.arctan(slope)))


def test_rotation_angle_is_uniform_within_15_degrees():
    """The released script's transforms.RandomRotation(15): an angle drawn
    uniformly from [-15, 15] degrees for each image. Measured on a
    horizontal bar, over 300 draws."""
    rotate = rotate_transform(
        load('baselines/ce_r50_moco_cifar10.py').train_dataloader.dataset.
        pipeline)
    bar = np.zeros((272, 272, 3), np.uint8)
    bar[134:138, 16:256] = 255
    np.random.seed(0)
    angles = np.array([
        measured_angle(rotate(dict(img=bar.copy()))['img']) for _ in range(300)
    ])
    assert np.abs(angles).max() <= 15.5
    assert angles.min() < -13 and angles.max() > 13
    assert (angles < -1).mean() > 0.4 and (angles > 1).mean() > 0.4
    # uniform: a quarter of the draws in each 7.5-degree bin
    hist = np.histogram(angles, bins=4, range=(-15, 15))[0] / len(angles)
    assert np.all(np.abs(hist - 0.25) < 0.08), hist


@pytest.mark.parametrize(
    'config',
    ['baselines/ce_r50_moco_cifar10.py', 'baselines/ce_r50_moco_cifar100.py'])
def test_cifar_train_rescales_rotates_crops(config):
    """Resize 32 -> 272x272, rotate, random crop 256, flip: white images
    come out 256x256, and rotated ones have black corners (the fill); the
    random resized crop recipe never gives black pixels."""
    cfg = load(config)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert names(pipeline) == [
        'Resize', 'Rotate', 'RandomCrop', 'RandomFlip', 'PackInputs'
    ]
    assert pipeline[0]['scale'] == (272, 272)
    assert pipeline[2]['crop_size'] == 256
    white = np.full((32, 32, 3), 255, np.uint8)
    np.random.seed(0)
    train = build(pipeline)
    outs = [train(dict(img=white.copy()))['inputs'] for _ in range(20)]
    assert all(tuple(o.shape) == (3, 256, 256) for o in outs)
    black = [int((o == 0).all(0).sum()) for o in outs]
    assert sum(b > 0 for b in black) >= 15  # most angles leave corners
    rrc = build(
        load(config.replace('.py',
                            '_rrc.py')).train_dataloader.dataset.pipeline)
    assert all(
        int((rrc(dict(img=white.copy()))['inputs'] == 0).all(0).sum()) == 0
        for _ in range(5))
    # normalisation stays ImageNet's (the backbone's pre-training)
    assert cfg.data_preprocessor.mean == [123.675, 116.28, 103.53]


def test_aircraft_train_is_cifars_recipe_after_loading(image_file):
    cifar = load('baselines/ce_r50_moco_cifar10.py')
    aircraft = load('baselines/ce_r50_moco_aircraft.py')
    pipeline = aircraft.train_dataloader.dataset.pipeline
    assert names(pipeline)[0] == 'LoadImageFromFile'
    # one recipe: the same transforms after the file is loaded
    assert pipeline[1:] == cifar.train_dataloader.dataset.pipeline
    np.random.seed(0)
    out = build(pipeline)(dict(img_path=image_file))
    assert tuple(out['inputs'].shape) == (3, 256, 256)
    rrc = load('baselines/ce_r50_moco_aircraft_rrc.py')
    assert names(rrc.train_dataloader.dataset.pipeline) == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs'
    ]
    assert rrc.test_dataloader == aircraft.test_dataloader


def paper_configs(datasets):
    """Every config on these datasets (its file name ends in the dataset)
    but the demo, the named alternatives, and contrastive pre-training with
    its linear stage (their own protocol, not fine-tuning's)."""
    out = []
    for p in sorted(
            glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                      recursive=True)):
        name = osp.splitext(osp.basename(p))[0]
        if '_base_' in p or not any(
                name.endswith(d) or f'_{d}_' in name for d in datasets):
            continue
        if name.endswith('_rrc'):
            continue
        # contrastive pre-training and the SupCon / TCL linear stage: their
        # own protocol at 32 px (_base_/datasets/cifar10_32px_contrastive.py)
        if '/pretrain/' in p or ('/linear_probe/' in p and
                                 ('supcon' in name or 'tcl' in name)):
            continue
        out.append(pytest.param(p, id=osp.relpath(p, ROOT)))
    return out


def train_transforms(cfg):
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset  # LabelFraction and other wrappers
    found = []
    for t in dataset.pipeline:
        found.append(t['type'].split('.')[-1])
        for view in t.get('transforms', []):  # MultiView
            found += names(view if isinstance(view, list) else [view])
    return found


@pytest.mark.parametrize('path',
                         paper_configs(('cifar10', 'cifar100', 'aircraft')))
def test_every_cifar_and_aircraft_paper_config_rotates(path):
    """C.2: CIFAR10 and Aircraft train with rescaling + rotation: every
    config on them (CE, SCL, Core-tuning, the other methods, ablations, AT,
    COIN, TCL, ...) but the *_rrc alternatives."""
    found = train_transforms(load(path))
    assert 'Rotate' in found and 'RandomResizedCrop' not in found, found


def test_paper_cifar_configs_were_found():
    ids = [p.id for p in paper_configs(('cifar10', 'aircraft'))]
    assert 'configs/coretune/r50_moco_cifar10.py' in ids
    assert 'configs/adv/at-core_r50_moco_cifar10_l2-0.5.py' in ids
    assert 'configs/coretune/r50_moco_aircraft.py' in ids


def test_flowers_default_is_the_kaggle_split():
    for config in ('baselines/ce_r50_moco_flowers.py',
                   'baselines/scl_r50_moco_flowers.py',
                   'coretune/r50_moco_flowers.py'):
        cfg = load(config)
        train, test = (cfg.train_dataloader.dataset,
                       cfg.test_dataloader.dataset)
        assert (train.type, train.split) == ('Flowers102Kaggle', 'train')
        assert (test.type, test.split) == ('Flowers102Kaggle', 'valid')
        assert train.data_root == test.data_root


@pytest.mark.parametrize('pair', [
    ('baselines/ce_r50_moco_flowers_official-split.py',
     'coretune/r50_moco_flowers_official-split.py'),
    ('baselines/ce_r50_moco_cifar10_rrc.py',
     'coretune/r50_moco_cifar10_rrc.py'),
    ('baselines/ce_r50_moco_cifar100_rrc.py',
     'coretune/r50_moco_cifar100_rrc.py'),
    ('baselines/ce_r50_moco_aircraft_rrc.py',
     'coretune/r50_moco_aircraft_rrc.py'),
])
def test_alternatives_ce_and_coretune_share_the_data(pair):
    """The Core-tuning alternative is its dataset's Core-tuning config with
    the CE alternative's data, nothing else changed."""
    ce, core = (load(p) for p in pair)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'data_preprocessor'):
        assert core[key] == ce[key], key
    default = load(pair[1].replace('_rrc', '').replace('_official-split', ''))
    assert core.model == default.model
    assert core.optim_wrapper == default.optim_wrapper
    assert core.model.head.miner.type == 'HardnessDirectedMixup'
    if 'flowers' in pair[0]:
        train, test = (ce.train_dataloader.dataset, ce.test_dataloader.dataset)
        assert (train.type, train.split, test.split) == \
            ('mmpretrain.Flowers102', 'trainval', 'test')
        assert train.pipeline == default.train_dataloader.dataset.pipeline


def test_caltech_default_is_the_30_per_class_split():
    cfg = load('coretune/r50_moco_caltech101.py')
    assert cfg.train_dataloader.dataset.type == 'Caltech101RandomSplit'
    assert cfg.test_dataloader.dataset.split == 'test'
    assert cfg.data_preprocessor.num_classes == 102


def test_cifar100_repeats_cifar10s_recipe():
    """_base_/datasets/cifar100.py writes cifar10.py's pipelines again
    (so that no chain of bases is more than two files deep,
    test_config_tree.py): both recipes the same transform for transform,
    the dataset and the classes CIFAR-100's."""
    c10, c100 = (
        load(f'_base_/datasets/{d}.py') for d in ('cifar10', 'cifar100'))
    for key in ('train_pipeline', 'test_pipeline', 'rrc_train_pipeline',
                'rrc_test_pipeline'):
        assert c100[key] == c10[key], key
    for split in ('train', 'val', 'test'):
        a = c10[f'{split}_dataloader']
        b = c100[f'{split}_dataloader']
        assert b.dataset.pipeline == a.dataset.pipeline
        assert (b.dataset.type, b.dataset.data_root) == \
            ('CIFAR100', 'data/cifar100')
        assert {k: v for k, v in b.items() if k != 'dataset'} == \
            {k: v for k, v in a.items() if k != 'dataset'}
    assert c100.data_preprocessor == dict(
        c10.data_preprocessor, num_classes=100)
