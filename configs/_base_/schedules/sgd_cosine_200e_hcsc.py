# HCSC's pre-training schedule (the official single_crop_200eps_bs256.yaml):
# SGD lr 0.03, momentum 0.9, weight decay 1e-4, cosine by epoch to 0 over 200
# epochs, for a total batch of 256.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
max_epochs = 200
# the official adjust_learning_rate: cosine by epoch, from 0.03 to 0
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min=0.)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256)
