# The ViT miniature's fine-tuning schedule: sgd_cosine_10e.py's (10 epochs,
# cosine per iteration, validation after the last) with AdamW, the ViTs'
# optimiser (DeiT, MoCo v3 and MAE fine-tune with it): lr 3e-4 at batch
# 128, weight decay 0.05 (DeiT's), none on norms, biases, the position
# embedding, the class token and the prompts. The benchmark tunes the
# learning rate (docs/benchmarks.md section 7).
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.pos_embed': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
            '.prompt': dict(decay_mult=0.0),
            '.deep_prompts': dict(decay_mult=0.0)
        }))
max_epochs = 10
param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
