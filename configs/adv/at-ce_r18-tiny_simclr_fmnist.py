# AT-CE on Fashion-MNIST, the adversarial-training smoke run of the built-in
# real-data default: the demo's CE-tuning (../baselines/
# ce_r18-tiny_simclr_fmnist.py) on each batch plus its PGD adversarial images
# (linf eps=4/255, PGD-5), 3 epochs instead of 10 to take minutes on a CPU;
# then clean and PGD-10 accuracy at every budget of ../_base_/adv/pgd10.py on
# the first 1,000 test images. `python tools/demo.py --methods AT-CE AT-Core`
# runs it from the demo's pre-training.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/adv/pgd10.py'
]

model = dict(
    type='AdversarialClassifier',
    attack=dict(type='PGDAttack', norm='linf', eps=4 / 255, steps=5))
max_epochs = 3
param_scheduler = dict(T_max=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# clean validation; the test is robust, on the first 1,000 test images
test_dataloader = dict(dataset=dict(indices=1000))
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
