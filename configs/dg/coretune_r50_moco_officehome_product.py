# Core-tuning on Office-Home, leaving out Product (trained on Art, Clipart,
# Real_World): ./coretune_r50_moco_officehome_art.py with another target.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./coretune_r50_moco_officehome_art.py']

target = dict(target_domain='Product')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
