# Core-tuning on VLCS, leaving out VOC2007 (trained on Caltech101, LabelMe,
# SUN09): ./coretune_r50_moco_vlcs_caltech101.py with another target.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./coretune_r50_moco_vlcs_caltech101.py']

target = dict(target_domain='VOC2007')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
