# Layer-wise learning-rate decay (LLRD): the deeper a layer, the closer its
# lr to the head's. With layer ids 0 (stem) ... L-1 (the new head), a
# parameter of layer l trains with
#     lr_l = lr * decay ** (L - 1 - l)
# (the head at `lr`, each layer below it `decay` times slower). BEiT's and
# ConvNeXt's fine-tuning recipe (Bao et al., ICLR 2022; Liu et al., CVPR
# 2022), here for the ResNets of the paper. decay = 0.7: mmpretrain's value
# for ResNet-50 (its SparK fine-tuning config, configs/spark/benchmarks/
# resnet50_8xb256-coslr-300e_in1k.py), not tuned for these datasets;
# docs/methods/strong_baselines.md.
#
# ResNet-50/101/152/200: mmpretrain's LearningRateDecayOptimWrapperConstructor
# with mmpretrain's ResNet.get_layer_depth, 8 layer ids on ResNet-50: stem 0,
# layer1 1, layer2 blocks {0,1} 2 and {2,3} 3, layer3 blocks {0-2} 4 and
# {3-5} 5, layer4 6, head 7. One knob to tune:
# optim_wrapper.paramwise_cfg.layer_decay_rate. For a CE-tuning config:
#   optim_wrapper = _base_.llrd_optim_wrapper
llrd_optim_wrapper = dict(
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.7))

# ResNet-18/34 and the demo's ResNet_CIFAR (mmpretrain's get_layer_depth
# knows only the stage layouts of ResNet-50 and deeper and raises
# NotImplementedError for [2, 2, 2, 2]): mmengine's default constructor with
# one lr multiplier per stage, 6 layer ids: stem 0, layer1-4 1-4, head 5.
# The multipliers are decay ** (5 - l), written out from `__stage_decay`
# here (a name with two underscores does not reach the config, so no
# override can seem to change it: change the value in this file, or override
# each `lr_mult`). `custom_keys` match by substring, the longest first, so
# 'backbone' is the stem (conv1, bn1 or stem.*). For a CE-tuning config:
#   optim_wrapper = _base_.llrd_stage_optim_wrapper
__stage_decay = 0.7
llrd_stage_optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=__stage_decay**5),
            'backbone.layer1': dict(lr_mult=__stage_decay**4),
            'backbone.layer2': dict(lr_mult=__stage_decay**3),
            'backbone.layer3': dict(lr_mult=__stage_decay**2),
            'backbone.layer4': dict(lr_mult=__stage_decay**1),
        }))
