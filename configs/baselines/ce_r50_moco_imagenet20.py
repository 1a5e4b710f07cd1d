# CE-tuning (plain cross-entropy fine-tuning) of MoCo v2 ResNet-50 on
# imagenet20: the Core-tuning paper's baseline, with its settings (appendix
# C.2): batch 256, lr 0.1, linear decay, SGD with momentum 0.9 (not Nesterov:
# "For ImageNet20, we fine-tune networks using stochastic gradient descent via
# the linear learning rate decay"; ../_base_/schedules/sgd_linear_100e.py), wd
# 1e-4.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/imagenet20.py',
    '../_base_/schedules/sgd_linear_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=20))

optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=256)
