# Noisy-Tune of the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning
# after perturbing every backbone parameter matrix by U(-0.075, 0.075) * its
# std (lambda 0.15).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

custom_hooks = [dict(type='NoisyTuneHook', noise_lambda=0.15)]
