# PACS (Li et al., 2017): 9,991 images, 7 classes; domains art_painting,
# cartoon, photo, sketch, in the folder layout data_root/<domain>/<class>/
# <image> (docs/data_preparation.md). The configs in configs/dg/ name the
# target domain (art_painting here).
_base_ = ['./domain_generalization.py']

data_preprocessor = dict(num_classes=7)
dg_dataset = dict(
    type='PACS', data_root='data/PACS', target_domain='art_painting')
train_dataloader = dict(dataset=dg_dataset)
val_dataloader = dict(dataset=dg_dataset)
test_dataloader = dict(dataset=dg_dataset)
