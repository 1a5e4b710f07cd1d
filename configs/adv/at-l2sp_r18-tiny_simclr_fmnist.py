# AT + L2-SP on Fashion-MNIST: adversarial training composed with a
# regulariser by one argument. The demo's L2-SP (../l2sp/
# r18-tiny_simclr_fmnist.py) with `attack`: each step trains on the batch plus
# its PGD adversarial images (linf eps=4/255, PGD-5), with L2-SP's pull
# towards the pre-trained weights; 3 epochs, as
# ./at-ce_r18-tiny_simclr_fmnist.py, then clean and PGD-10 accuracy at every
# budget of ../_base_/adv/pgd10.py on the first 1,000 test images. No paper
# runs it (docs/methods/adversarial.md).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/l2sp.py',
    '../_base_/adv/pgd10.py'
]

model = dict(
    **_base_.l2sp_model,
    attack=dict(type='PGDAttack', norm='linf', eps=4 / 255, steps=5))
# tllib's weight decay, as the demo's L2-SP (../l2sp/r18-tiny_simclr_fmnist.py)
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
max_epochs = 3
param_scheduler = dict(T_max=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# clean validation; the test is robust, on the first 1,000 test images
test_dataloader = dict(dataset=dict(indices=1000))
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
