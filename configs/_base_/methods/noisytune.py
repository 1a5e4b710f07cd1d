# Noisy-Tune (Wu et al., ACL 2022): CE-tuning after perturbing every backbone
# parameter matrix by U(-0.075, 0.075) * its std (lambda 0.15).
custom_hooks = [dict(type='NoisyTuneHook', noise_lambda=0.15)]
