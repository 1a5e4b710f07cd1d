# CIFAR-100 with the random-resized-crop recipe instead of the paper's
# rescaling + rotation (cifar100.py, cifar10.py): train random resized crop
# 224 + horizontal flip of the 32 px images; test resize 256x256, centre crop
# 224.
_base_ = ['./cifar100.py']

train_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_test_pipeline}}))
test_dataloader = val_dataloader
