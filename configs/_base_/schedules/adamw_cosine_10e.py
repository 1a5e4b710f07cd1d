# The ViT miniature's fine-tuning schedule: sgd_cosine_10e.py's (10 epochs,
# cosine per iteration, validation after the last, batch 128) with AdamW,
# the ViTs' optimiser (DeiT, MoCo v3 and MAE fine-tune with it): lr 3e-4 at
# batch 128, weight decay 0.05 (DeiT's), none on norms, biases, the position
# embedding, the class token and the prompts. The benchmark tunes the
# learning rate (docs/benchmarks.md section 7).
_base_ = ['./sgd_cosine_10e.py']

optim_wrapper = dict(
    _delete_=True,
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
