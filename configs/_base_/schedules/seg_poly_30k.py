# The Core-tuning paper's segmentation schedule (§5.2): "fine-tuned on VOC
# train_aug2012 set for 30k steps via SGD", "we set the initial learning rate
# to 0.1 and adjust it via the poly decay schedule. Other parameters are the
# same as image classification" (total batch 16). From image classification
# (appendix C.2, "For all datasets"): momentum 0.9, weight decay 1e-4. Plain
# momentum: §5.2 names SGD, as C.2 names ImageNet20's "stochastic gradient
# descent" against the Nesterov momentum of "most datasets". Not stated
# (mmseg's DeepLabV3 schedule): poly power 0.9, floor 1e-4.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=30000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30000, val_interval=3000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=16)
