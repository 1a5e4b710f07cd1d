# LP-FT (Kumar et al., ICLR 2022): a linear probe (backbone frozen, its BN
# statistics too), then full fine-tuning from the probed head. Two stages of
# StageSwitchHook over a CE-tuning config; no new training loop. The paper
# trains the probe to convergence first; mmctune's default switch at half of
# the epochs is a choice (docs/methods/baselines.md).
custom_hooks = [
    dict(
        type='StageSwitchHook',
        stages=[
            (0, {
                'backbone.requires_grad': False,
                'backbone.norm_eval': True
            }),
            (0.5, {
                'backbone.requires_grad': True,
                'backbone.norm_eval': False
            }),
        ])
]
# the backbone gets no gradient in the first stage
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
