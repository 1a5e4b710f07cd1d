# DR-Tune (Zhou et al., "DR-Tune: Improving Fine-tuning of Pretrained Visual
# Models by Distribution Regularization with Semantic Calibration", ICCV
# 2023; official code weeknan/DR-Tune): the classifier trained on the
# batch's features and on a queue of the frozen pre-trained encoder's
# features, calibrated to the downstream ones
# (mmctune.models.classifiers.DRTuneClassifier), the queues filled before
# training (DRTuneQueueHook). The paper is not among this repository's
# papers: the values are the official code's (configs/cifar10_k2048_lr001.
# yaml: queue K = 2048; one cross-entropy over batch and queue; the head's
# lr 0.33 against the backbone's 0.01, lr_mult 33; model.py: rotation every
# 10 iterations).
# A config of any classification method with a linear head becomes its
# DR-Tune variant with
#   model = dict(_base_.drtune_model)
#   custom_hooks = [_base_.drtune_queue_hook]
#   optim_wrapper = dict(paramwise_cfg=_base_.drtune_paramwise_cfg)
drtune_model = dict(
    type='DRTuneClassifier',
    queue_size=2048,
    rotate_interval=10,
    joint_mean=True)
drtune_queue_hook = dict(type='DRTuneQueueHook')
drtune_paramwise_cfg = dict(custom_keys={'head': dict(lr_mult=33.0)})
