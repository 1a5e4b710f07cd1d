# Core-tuning of MoCo v2 ResNet-50 on CIFAR-10 with the random-resized-crop
# recipe (train random resized crop 224 + flip; test resize 256x256, centre
# crop 224) instead of the paper's rescaling + rotation (supplement C.2):
# ./r50_moco_cifar10.py with the pipelines of ../_base_/datasets/cifar10_rrc.py
# (the data of ../baselines/ce_r50_moco_cifar10_rrc.py).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_moco_cifar10.py']

train_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_test_pipeline}}))
test_dataloader = val_dataloader
