# SCL (Gunel et al.) on Fashion-MNIST from ImageNet MobileNetV2: CE-tuning's
# settings (./ce_mbv2_in1k_fmnist.py: the same bases, data and schedule) +
# eta * SupCon on the originals, no generated pairs; eta = 0.1 and
# temperature as Core-tuning's (../coretune/mbv2_in1k_fmnist.py), the
# projector the model's. Table 2's "+L_con" row.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/mobilenet-v2_in1k_fmnist.py',
    '../_base_/datasets/fashion_mnist_32px.py',
    '../_base_/schedules/sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))

# the first 6,000 labelled training images, as the small-ResNet demo's
train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))
# a lower learning rate than the demo's, as usual for ImageNet weights
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(logger=dict(interval=10))
