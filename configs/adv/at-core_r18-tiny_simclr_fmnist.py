# AT-Core on Fashion-MNIST: the demo's Core-tuning (../coretune/
# r18-tiny_simclr_fmnist.py) with the adversarial training and robust
# evaluation of ./at-ce_r18-tiny_simclr_fmnist.py; the adversarial images
# join the contrastive loss and the hard-pair mining.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../coretune/r18-tiny_simclr_fmnist.py', '../_base_/adv/pgd10.py']

model = dict(
    type='AdversarialClassifier',
    attack=dict(type='PGDAttack', norm='linf', eps=4 / 255, steps=5))
max_epochs = 3
param_scheduler = dict(T_max=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# clean validation; the test is robust, on the first 1,000 test images
test_dataloader = dict(dataset=dict(indices=1000))
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
