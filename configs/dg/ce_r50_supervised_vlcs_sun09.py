# CE-tuning for domain generalisation on VLCS, target sun09, from the
# supervised ImageNet ResNet-50 of torchvision (DomainBed's default
# network): the supervised-pre-training CE row of the Core-tuning paper's
# Table 8. ./ce_r50_supervised_vlcs_caltech101.py with another target, as the
# MoCo v2 config ./ce_r50_moco_vlcs_sun09.py has.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_supervised_vlcs_caltech101.py']

target = dict(target_domain='SUN09')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
