# Office-Home (Venkateswara et al., 2017): 15,588 images, 65 classes; domains
# Art, Clipart, Product, Real_World (the archive's "Real World" is read too),
# in the folder layout data_root/<domain>/<class>/<image>
# (docs/data_preparation.md). The configs in configs/dg/ name the target
# domain (Art here).
_base_ = ['./domain_generalization.py']

data_preprocessor = dict(num_classes=65)
dg_dataset = dict(
    type='OfficeHome', data_root='data/office_home', target_domain='Art')
train_dataloader = dict(dataset=dg_dataset)
val_dataloader = dict(dataset=dg_dataset)
test_dataloader = dict(dataset=dg_dataset)
