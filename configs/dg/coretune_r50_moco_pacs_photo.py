# Core-tuning on PACS, leaving out photo (trained on art_painting, cartoon,
# sketch): ./coretune_r50_moco_pacs_art_painting.py with another target.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./coretune_r50_moco_pacs_art_painting.py']

target = dict(target_domain='photo')
train_dataloader = dict(dataset=target)
val_dataloader = dict(dataset=target)
test_dataloader = dict(dataset=target)
