# Co-Tuning on the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning's
# settings (../baselines/ce_r18-tiny_simclr_fmnist.py) with
# ../_base_/methods/cotuning.py, with 100 pseudo source classes in place of
# 1000: the demo is scaled down (10 classes, 6,000 labelled images, 128-d
# features), and 1000 clusters would hold 6 images each.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py',
    '../_base_/methods/cotuning.py'
]

model = dict(_base_.cotuning_model, num_source_classes=100)
