"""SegCenterCrop and the PASCAL VOC evaluation of the Core-tuning paper
(§5.2, Table 7: "rescaled to 513×513 ... with center crop for
evaluation"): the pipeline built from the configs turns a VOC image and its
label into their 513×513 centre crops, padded with 0 / 255 where a side is
short, and the segmentor's prediction comes out at the crop's size."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from PIL import Image

from mmctune.datasets.transforms.seg_center_crop import center_crop_box
from mmctune.registry import MODELS, TRANSFORMS
from mmctune.utils import register_all_modules
from ..conftest import ROOT

register_all_modules()
VOC = osp.join(ROOT, 'configs/seg/deeplabv3_r50_moco_ce_voc12aug.py')


def crop(array, size, **kwargs):
    t = TRANSFORMS.build(dict(type='SegCenterCrop', crop_size=size, **kwargs))
    return t(
        dict(
            img=array.copy(),
            gt_seg_map=array[..., 0].copy(),
            seg_fields=['gt_seg_map']))


@pytest.mark.parametrize('hw', [(7, 9), (9, 7), (4, 4), (2, 11), (6, 6),
                                (3, 8)])
@pytest.mark.parametrize('size', [(5, 5), (6, 4), (8, 8)])
def test_center_crop_is_torchvisions(hw, size):
    """Pad and crop offsets equal torchvision's ``center_crop`` (which pads
    with 0) on a numbered image, for odd and even, smaller and larger
    sizes."""
    from torchvision.transforms.functional import center_crop
    h, w = hw
    numbered = np.arange(1, h * w + 1, dtype=np.int64).reshape(h, w)
    expected = center_crop(torch.from_numpy(numbered)[None], list(size))[0]
    out = crop(numbered[..., None].repeat(3, -1), size)
    assert out['img'].shape == (*size, 3)
    np.testing.assert_array_equal(out['img'][..., 1], expected.numpy())
    # the label: the same pixels, padding 255 where torchvision has 0
    label = np.where(expected.numpy() == 0, 255, expected.numpy())
    np.testing.assert_array_equal(out['gt_seg_map'], label)
    assert out['img_shape'] == out['ori_shape'] == out['pad_shape'] == size
    assert out['center_crop'] == center_crop_box(h, w, *size)


def test_pad_values_and_bad_sizes():
    out = crop(np.full((2, 2, 3), 7, np.uint8), 4, pad_val=3, seg_pad_val=9)
    assert out['img'][..., 0].tolist() == [[3, 3, 3, 3], [3, 7, 7, 3],
                                           [3, 7, 7, 3], [3, 3, 3, 3]]
    assert out['gt_seg_map'].tolist() == [[9, 9, 9, 9], [9, 7, 7, 9],
                                          [9, 7, 7, 9], [9, 9, 9, 9]]
    for bad in (0, (5, ), (5, 0), (5.0, 5)):
        with pytest.raises(ValueError, match='crop_size'):
            TRANSFORMS.build(dict(type='SegCenterCrop', crop_size=bad))


def voc_pair(tmp_path, h, w):
    """A VOC-like JPEG and its palette-free label PNG: class 1 on the left
    half, class 15 on the right, the top 10 rows 255 (VOC's object
    borders)."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    label = np.ones((h, w), np.uint8)
    label[:, w // 2:] = 15
    label[:10] = 255
    img_path, seg_path = str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')
    Image.fromarray(img).save(img_path)
    Image.fromarray(label).save(seg_path)
    return label, dict(
        img_path=img_path,
        seg_map_path=seg_path,
        reduce_zero_label=False,
        seg_fields=[])


def test_voc_eval_pipeline_gives_the_513_centre_crop(tmp_path):
    cfg = Config.fromfile(VOC)
    assert cfg.test_dataloader.dataset.pipeline == \
        cfg.val_dataloader.dataset.pipeline
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    # a 375x500 VOC image: the short side to 513 (x 1.368 -> 513x684), then
    # the centre 513 columns: 684 - 513 = 171, round(85.5) = 86 on the left
    label, results = voc_pair(tmp_path, 375, 500)
    packed = pipeline(results)
    assert packed['inputs'].shape == (3, 513, 513)
    seg = packed['data_samples'].gt_sem_seg.data[0].numpy()
    assert seg.shape == (513, 513)
    meta = packed['data_samples'].metainfo
    assert meta['ori_shape'] == meta['img_shape'] == (513, 513)
    # nearest-neighbour resize (OpenCV's INTER_NEAREST: source =
    # floor(target * (1 / (684 / 500)))), then the crop: label values kept,
    # none invented, no padding needed
    rows = np.floor(np.arange(513) * (1 / (513 / 375))).astype(int)
    cols = np.floor((np.arange(513) + 86) * (1 / (684 / 500))).astype(int)
    np.testing.assert_array_equal(seg, label[rows][:, cols])
    assert set(np.unique(seg)) == {1, 15, 255}
    assert (seg[:13] == 255).all() and (seg[14:] != 255).all()
    # the class boundary (column 250 of 500) lands in the middle
    assert (seg[20:, :256] == 1).all() and (seg[20:, 257:] == 15).all()


def test_a_short_side_is_padded_with_the_ignore_index(tmp_path):
    """An image of aspect ratio over 4 keeps a side under 513 after the
    resize (the long side is capped at 2052): 100x1000 -> 205x2052, padded
    with 154 rows above and below, image 0, label 255."""
    cfg = Config.fromfile(VOC)
    pipeline = cfg.test_dataloader.dataset.pipeline
    # without the packing, to see the image before normalisation
    label, results = voc_pair(tmp_path, 100, 1000)
    out = Compose(pipeline[:-1])(results)
    img, seg = out['img'], out['gt_seg_map']
    assert img.shape == (513, 513, 3) and seg.shape == (513, 513)
    assert (seg[:154] == 255).all() and (seg[-154:] == 255).all()
    assert (img[:154] == 0).all() and (img[-154:] == 0).all()
    inside = seg[154:-154]
    assert inside.shape[0] == 205
    assert set(np.unique(inside[30:])) == {1, 15}


def test_prediction_comes_out_at_the_crop_size(tmp_path):
    """mmseg resizes each prediction to ``ori_shape``: after the centre crop
    that is the crop's, so prediction and label match pixel for pixel (a
    small segmentor from the stardist smoke config)."""
    cfg = Config.fromfile(VOC)
    _, results = voc_pair(tmp_path, 375, 500)
    packed = Compose(cfg.test_dataloader.dataset.pipeline)(results)
    small = Config.fromfile(
        osp.join(ROOT, 'configs/seg/deeplabv3_r18-tiny_ce_stardist.py'))
    torch.manual_seed(0)
    model = MODELS.build(small.model).eval()
    batch = dict(
        inputs=[packed['inputs']], data_samples=[packed['data_samples']])
    with torch.no_grad():
        out = model.test_step(batch)[0]
    assert out.pred_sem_seg.data.shape == (1, 513, 513)
    assert out.pred_sem_seg.data.shape == out.gt_sem_seg.data.shape


PAPER_VOC = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs/seg/*_voc12aug.py')))
MMSEG_RECIPE = sorted(
    glob.glob(osp.join(ROOT, 'configs/seg/*_voc12aug_mmseg-recipe.py')))


def _types(pipeline):
    return [t['type'].split('.')[-1] for t in pipeline]


def _aux_types(model):
    aux = model.get('auxiliary_head')
    if aux is None:
        return []
    return [a['type'] for a in (aux if isinstance(aux, list) else [aux])]


@pytest.mark.parametrize('path', PAPER_VOC, ids=osp.basename)
def test_paper_voc_configs_use_only_what_the_paper_lists(path):
    """Table 7's configs: random rescale, random 513 crop, flip; the 513
    centre crop for evaluation; no photometric distortion, no crop
    re-drawing by class ratio, no FCN auxiliary head (Core-tuning adds its
    regulariser only)."""
    assert len(PAPER_VOC) == 14
    cfg = Config.fromfile(path)
    for ds in cfg.train_dataloader.dataset.datasets:
        assert _types(ds.pipeline) == [
            'LoadImageFromFile', 'LoadAnnotations', 'RandomResize',
            'RandomCrop', 'RandomFlip', 'Pad', 'PackSegInputs'
        ]
        assert ds.pipeline[3] == dict(
            type='mmseg.RandomCrop', crop_size=(513, 513))
    for split in ('val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert _types(pipeline) == [
            'LoadImageFromFile', 'LoadAnnotations', 'Resize', 'SegCenterCrop',
            'PackSegInputs'
        ]
        assert pipeline[3].crop_size == (513, 513)
    expected = ['ContrastiveSegHead'] if '_coretune_' in path else []
    assert _aux_types(cfg.model) == expected


@pytest.mark.parametrize('path', MMSEG_RECIPE, ids=osp.basename)
def test_mmseg_recipe_keeps_the_other_augmentations(path):
    assert len(MMSEG_RECIPE) == 2
    cfg = Config.fromfile(path)
    for ds in cfg.train_dataloader.dataset.datasets:
        assert 'PhotoMetricDistortion' in _types(ds.pipeline)
        assert ds.pipeline[3].cat_max_ratio == 0.75
    assert 'SegCenterCrop' not in _types(cfg.test_dataloader.dataset.pipeline)
    assert _aux_types(cfg.model)[0] == 'mmseg.FCNHead'
    assert ('ContrastiveSegHead' in _aux_types(cfg.model)) == \
        ('_coretune_' in path)
