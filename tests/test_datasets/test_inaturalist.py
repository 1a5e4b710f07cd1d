import json

import pytest

from mmctune.datasets import INaturalist2018


def write_ann(root, split, n_images=4, categories=3, images=None):
    cats = [dict(id=i, name=f'species {i}') for i in range(categories)]
    images = images if images is not None else [
        dict(
            id=100 + i,
            file_name=f'train_val2018/Plantae/{i % categories}/'
            f'{i}.jpg') for i in range(n_images)
    ]
    anns = [
        dict(id=i, image_id=img['id'], category_id=i % categories)
        for i, img in enumerate(images)
    ]
    (root / f'{split}2018.json').write_text(
        json.dumps(dict(images=images, annotations=anns, categories=cats)))


def test_reads_published_layout(tmp_path):
    write_ann(tmp_path, 'val', n_images=5)
    ds = INaturalist2018(data_root=str(tmp_path), split='val')
    assert len(ds) == 5
    assert ds.CLASSES == ('species 0', 'species 1', 'species 2')
    info = ds.get_data_info(4)
    assert info['gt_label'] == 1
    assert info['img_path'] == str(tmp_path / 'train_val2018/Plantae/1/4.jpg')


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='train2018.json'):
        INaturalist2018(data_root=str(tmp_path), split='train')


def test_empty_annotation_file(tmp_path):
    write_ann(tmp_path, 'train', images=[])
    with pytest.raises(RuntimeError, match='lists no images'):
        INaturalist2018(data_root=str(tmp_path))
