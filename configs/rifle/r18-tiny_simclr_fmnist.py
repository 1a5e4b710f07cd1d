# RIFLE of the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning with the
# classifier re-initialised every 3 epochs (not in the last 3).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

custom_hooks = [dict(type='RIFLEHook', interval=3)]
