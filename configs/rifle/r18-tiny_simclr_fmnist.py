# RIFLE on the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning's settings
# (../baselines/ce_r18-tiny_simclr_fmnist.py) with ../_base_/methods/rifle.py.
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/rifle.py']

# every 3 epochs of the demo's 10 (not in the last 3)
custom_hooks = [dict(type='RIFLEHook', interval=3)]
