# Fashion-MNIST (fashion_mnist.py) for the ImageNet MobileNetV2
# (../models/mobilenet-v2_in1k_fmnist.py): the 28x28 images resized to 32x32
# after the demo's augmentation (MobileNetV2's last feature map is then 1x1;
# larger images cost more than the 2-core benchmark affords). The input
# normalisation is the model's (ImageNet's mean / std), so none here.
_base_ = ['./fashion_mnist.py']

data_preprocessor = None

resize = dict(type='mmpretrain.Resize', scale=(32, 32))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='mmpretrain.RandomCrop', crop_size=28, padding=2),
        dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
        resize,
        dict(type='mmpretrain.PackInputs'),
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[resize, dict(type='mmpretrain.PackInputs')]))
test_dataloader = val_dataloader
