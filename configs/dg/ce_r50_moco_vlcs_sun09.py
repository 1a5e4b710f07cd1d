# CE-tuning on VLCS, leaving out SUN09 (trained on Caltech101, LabelMe,
# VOC2007): ./ce_r50_moco_vlcs_caltech101.py with another target.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_vlcs_caltech101.py']

target = dict(target_domain='SUN09')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
