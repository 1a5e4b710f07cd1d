# Core-tuning with DR-Tune's calibrated queue on the Fashion-MNIST demo
# (SimCLR small ResNet-18): Core-tuning's settings
# (../coretune/r18-tiny_simclr_fmnist.py) and DR-Tune's term added as the
# mean cross-entropy over the queue, as coretune-drtune_r50_moco_cifar10.py;
# a queue of 512 features, as r18-tiny_simclr_fmnist.py (the benchmark's 1%
# labels are 600 images).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../coretune/r18-tiny_simclr_fmnist.py', '../_base_/methods/drtune.py'
]

model = dict(
    _base_.drtune_model, queue_size=512, joint_mean=False, loss_weight=1.0)
custom_hooks = [_base_.drtune_queue_hook]
