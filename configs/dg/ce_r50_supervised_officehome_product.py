# CE-tuning for domain generalisation on Office-Home, target product, from the
# supervised ImageNet ResNet-50 of torchvision (DomainBed's default
# network): the supervised-pre-training CE row of the Core-tuning paper's
# Table 8. ./ce_r50_supervised_officehome_art.py with another target, as the
# MoCo v2 config ./ce_r50_moco_officehome_product.py has.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_supervised_officehome_art.py']

target = dict(target_domain='Product')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
