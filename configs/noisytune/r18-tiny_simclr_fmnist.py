# Noisy-Tune: CE-tuning after perturbing every backbone parameter matrix by
# U(-0.075, 0.075) * its std (lambda 0.15), the built-in Fashion-MNIST demo (SimCLR small ResNet).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

custom_hooks = [dict(type='NoisyTuneHook', noise_lambda=0.15)]
