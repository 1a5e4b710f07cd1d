# RIFLE: CE-tuning with the classifier re-initialised every 3 epochs (not in
# the last 3), the built-in Fashion-MNIST demo (SimCLR small ResNet).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

custom_hooks = [dict(type='RIFLEHook', interval=3)]
