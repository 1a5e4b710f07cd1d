# Caltech-101 in the Core-tuning paper's split (Table 1: 3,060 training, 30
# per class of the 102 classes, and 6,084 test images): mmctune's
# Caltech101RandomSplit draws 30 images a class (seeded) from the release's
# 101_ObjectCategories folders and tests on all the others
# (docs/data_preparation.md, "Caltech-101"). mmpretrain's Caltech101 reads
# its own split files instead (meta/train.txt, meta/test.txt: 3,060 / 6,728).
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    dataset=dict(
        type='Caltech101RandomSplit',
        data_root='data/caltech-101',
        split='train'))
val_dataloader = dict(
    dataset=dict(
        type='Caltech101RandomSplit',
        data_root='data/caltech-101',
        split='test'))
test_dataloader = val_dataloader
