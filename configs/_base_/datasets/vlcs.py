# VLCS (Fang et al., 2013): 10,729 images, 5 classes; domains Caltech101,
# LabelMe, SUN09, VOC2007, in the folder layout data_root/<domain>/<class>/
# <image> (docs/data_preparation.md). The configs in configs/dg/ name the
# target domain (Caltech101 here).
_base_ = ['./domain_generalization.py']

data_preprocessor = dict(num_classes=5)
dg_dataset = dict(
    type='VLCS', data_root='data/VLCS', target_domain='Caltech101')
train_dataloader = dict(dataset=dg_dataset)
val_dataloader = dict(dataset=dg_dataset)
test_dataloader = dict(dataset=dg_dataset)
