# AT-CE-Con on cifar10 trained against PGD-10 at linf eps=2/255: Table 9's
# column for that budget (each column of the paper's Table 9 is its own
# trained model). ./at-ce-con_r50_moco_cifar10_linf-4.py with the other
# training budget; tested clean and under PGD-10 at every budget.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./at-ce-con_r50_moco_cifar10_linf-4.py']

model = dict(attack={{_base_.pgd10_linf_2}})
