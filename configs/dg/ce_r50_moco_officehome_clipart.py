# CE-tuning on Office-Home, leaving out Clipart (trained on Art, Product,
# Real_World): ./ce_r50_moco_officehome_art.py with another target.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_officehome_art.py']

target = dict(target_domain='Clipart')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
