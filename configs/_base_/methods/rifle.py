# RIFLE (Li et al., ICML 2020): CE-tuning with the classifier re-initialised
# every 25 epochs (a quarter of 100; not in the last 25).
custom_hooks = [dict(type='RIFLEHook', interval=25)]
