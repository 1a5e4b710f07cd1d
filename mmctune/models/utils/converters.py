"""Convert published self-supervised checkpoints to mmpretrain backbone keys.

Each converter takes the object ``torch.load`` returns for a checkpoint as its
authors published it and returns the backbone's ``state_dict`` with the key
names of mmpretrain's ``ResNet`` (the same as torchvision's ResNet) or
``VisionTransformer``; projection heads, prototypes, classifiers, momentum
encoders and optimiser states are dropped. ``tools/model_converters/
convert_ssl_checkpoint.py`` is the command-line front end; the result loads
with ``init_cfg=dict(type='Pretrained', checkpoint=...)`` and no prefix.

Formats (``FORMATS``):

========================  =================================================
``torchvision``           torchvision / supervised ResNet: plain dict of
                          torchvision keys (``conv1.weight``, ``fc.*``).
``moco``                  MoCo v1/v2 (facebookresearch/moco):
                          ``state_dict`` with ``module.encoder_q.`` keys.
``pycontrast``            PyContrast (InsDis, PIRL, MoCo, InfoMin, CMC-RGB):
                          ``model`` with ``module.encoder.`` keys, or
                          ``model_ema`` with ``encoder.`` keys (``ema=True``).
``simclr-v1``             SimCLR v1 converted to PyTorch (simclr-converter):
                          ``state_dict`` with torchvision keys.
``simclr-v2``             SimCLR v2 converted to PyTorch (SimCLRv2-Pytorch,
                          ``r50_1x_sk0.pth``): ``resnet`` with ``net.<i>...``
                          keys. Selective-kernel (``sk1``) models are not
                          ResNets and are refused.
``byol``                  BYOL ResNet-50 converted to PyTorch: torchvision
                          keys, optionally under ``state_dict`` and an
                          ``online_network.encoder.``/``module.`` prefix.
``swav``                  SwAV (facebookresearch/swav): ``module.`` +
                          torchvision keys, ``projection_head``/
                          ``prototypes`` dropped.
``deepcluster-v2``        DeepCluster-v2 (same release and layout as SwAV).
``dino-vit``              DINO ViT/DeiT (``dino_deitsmall16_pretrain.pth``):
                          timm keys (``blocks.0.norm1.weight``).
``mae-vit``               MAE (``mae_pretrain_vit_base.pth``): ``model``
                          with timm keys.
``mocov3-vit``            MoCo v3 ViT (facebookresearch/moco-v3,
                          ``vit-s-300ep.pth.tar``): ``state_dict`` with
                          ``module.base_encoder.`` timm keys; the momentum
                          encoder, predictor and projector (``head``)
                          dropped. Its ViT-S has 12 heads, not DeiT-S's 6:
                          build it with ``num_heads=12``.
``torchvision-mobilenet_v2``  torchvision's MobileNetV2 (``mobilenet_v2-
                          b0353104.pth``, ImageNet): ``features.<i>`` keys
                          to mmpretrain's ``MobileNetV2`` (``conv1``,
                          ``layer1``..``layer7``, ``conv2``); ``classifier``
                          dropped.
========================  =================================================
"""
import re
from collections import OrderedDict
from typing import Callable, Dict

RESNET_HEADS = ('fc.', )


def _unwrap(ckpt, *keys):
    """The first of ``keys`` present in ``ckpt``, else ``ckpt`` itself."""
    if not isinstance(ckpt, dict):
        raise TypeError(f'expected a dict checkpoint, got {type(ckpt)}')
    for key in keys:
        if key in ckpt and isinstance(ckpt[key], dict):
            return ckpt[key]
    return ckpt


def _take_prefix(state_dict, prefix, fmt):
    taken = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                        if k.startswith(prefix))
    if not taken:
        starts = sorted({k.split('.')[0] + '.' for k in state_dict})[:8]
        raise KeyError(f'{fmt}: no key starts with "{prefix}" (keys start '
                       f'with {starts}); is this a {fmt} checkpoint?')
    return taken


def _drop(state_dict, prefixes):
    return OrderedDict((k, v) for k, v in state_dict.items()
                       if not k.startswith(tuple(prefixes)))


def _check_resnet(state_dict, fmt):
    if 'conv1.weight' not in state_dict or not any(
            k.startswith('layer1.') for k in state_dict):
        raise KeyError(f'{fmt}: the result has no ResNet keys '
                       f'(conv1.weight, layer1.*): got '
                       f'{list(state_dict)[:5]}...')
    return state_dict


def convert_torchvision(ckpt):
    sd = _unwrap(ckpt, 'state_dict')
    sd = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in sd.items())
    return _check_resnet(_drop(sd, RESNET_HEADS), 'torchvision')


def convert_moco(ckpt):
    sd = _take_prefix(_unwrap(ckpt, 'state_dict'), 'module.encoder_q.', 'moco')
    return _check_resnet(_drop(sd, RESNET_HEADS), 'moco')


def convert_pycontrast(ckpt, ema=False):
    if ema:
        sd = _take_prefix(_unwrap(ckpt, 'model_ema'), 'encoder.', 'pycontrast')
    else:
        sd = _take_prefix(
            _unwrap(ckpt, 'model'), 'module.encoder.', 'pycontrast')
    return _check_resnet(_drop(sd, RESNET_HEADS), 'pycontrast')


def convert_simclr_v1(ckpt):
    return _check_resnet(
        _drop(_unwrap(ckpt, 'state_dict'), RESNET_HEADS), 'simclr-v1')


# SimCLRv2-Pytorch: net.0 = stem (conv, BatchNormRelu), net.1..4 = stages;
# a block is `net.<s>.blocks.<b>` with `projection.{shortcut,bn.0}` and
# `net.{0,1.0,2,3.0,4,5.0}` = conv1, bn1, conv2, bn2, conv3, bn3.
_SIMCLR_V2_BLOCK = {
    'net.0.': 'conv1.',
    'net.1.0.': 'bn1.',
    'net.2.': 'conv2.',
    'net.3.0.': 'bn2.',
    'net.4.': 'conv3.',
    'net.5.0.': 'bn3.',
    'projection.shortcut.': 'downsample.0.',
    'projection.bn.0.': 'downsample.1.',
}


def convert_simclr_v2(ckpt):
    sd = _unwrap(ckpt, 'resnet')
    if any('mixing_conv' in k or 'main_conv' in k for k in sd):
        raise ValueError('simclr-v2: selective-kernel (sk1) checkpoints are '
                         'not ResNets; use an sk0 model (r50_1x_sk0)')
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith('net.0.0.'):
            out['conv1.' + key[len('net.0.0.'):]] = value
            continue
        if key.startswith('net.0.1.0.'):
            out['bn1.' + key[len('net.0.1.0.'):]] = value
            continue
        m = re.match(r'^net\.([1-4])\.blocks\.(\d+)\.(.*)$', key)
        if m is None:
            continue  # fc (supervised head of the release)
        stage, block, rest = m.groups()
        for src, dst in _SIMCLR_V2_BLOCK.items():
            if rest.startswith(src):
                out[f'layer{stage}.{block}.{dst}{rest[len(src):]}'] = value
                break
        else:
            raise KeyError(f'simclr-v2: unknown key {key}')
    return _check_resnet(out, 'simclr-v2')


def convert_byol(ckpt):
    sd = _unwrap(ckpt, 'state_dict', 'model')
    for prefix in ('online_network.encoder.', 'module.encoder.', 'module.',
                   'encoder.'):
        if any(k.startswith(prefix + 'conv1.') for k in sd):
            sd = _take_prefix(sd, prefix, 'byol')
            break
    return _check_resnet(_drop(sd, RESNET_HEADS), 'byol')


def convert_swav(ckpt):
    sd = _unwrap(ckpt, 'state_dict')
    sd = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in sd.items())
    sd = _drop(sd, ('projection_head.', 'prototypes.') + RESNET_HEADS)
    return _check_resnet(sd, 'swav')


def convert_timm_vit(ckpt, fmt='dino-vit'):
    """timm / DINO / MAE ViT keys to mmpretrain's ``VisionTransformer``
    (``blocks.i.norm1`` -> ``layers.i.ln1``, ``mlp.fc1`` ->
    ``ffn.layers.0.0``, final ``norm`` -> ``ln1``; heads dropped). MAE's
    decoder and mask token are dropped too."""
    sd = _unwrap(ckpt, 'model', 'state_dict', 'teacher')
    sd = OrderedDict(
        (re.sub(r'^(module\.|backbone\.)', '', k), v) for k, v in sd.items())
    if 'patch_embed.proj.weight' not in sd:
        raise KeyError(f'{fmt}: no patch_embed.proj.weight: not a timm-style '
                       'ViT checkpoint')
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith(('head', 'decoder', 'mask_token', 'fc_norm')):
            continue
        new = key.replace('patch_embed.proj.', 'patch_embed.projection.')
        if new.startswith('blocks.'):
            new = 'layers.' + new[len('blocks.'):]
            new = (
                new.replace('.norm1.',
                            '.ln1.').replace('.norm2.', '.ln2.').replace(
                                '.mlp.fc1.', '.ffn.layers.0.0.').replace(
                                    '.mlp.fc2.', '.ffn.layers.1.'))
        elif new.startswith('norm.'):
            new = 'ln1.' + new[len('norm.'):]
        out[new] = value
    return out


def convert_mocov3_vit(ckpt):
    """MoCo v3's ViT (``module.base_encoder.`` + timm keys; the projector is
    its ``head``) to mmpretrain's ``VisionTransformer``, as the release's
    ``convert_to_deit.py`` keeps the base encoder."""
    fmt = 'mocov3-vit'
    sd = _unwrap(ckpt, 'state_dict')
    sd = _take_prefix(sd, 'module.base_encoder.', fmt)
    return convert_timm_vit(sd, fmt)


# torchvision's features.1..17 are mmpretrain's layer1..layer7 with these
# numbers of inverted-residual blocks (any widen factor)
_MOBILENET_V2_BLOCKS = (1, 2, 3, 4, 3, 3, 1)


def convert_torchvision_mobilenet_v2(ckpt):
    """torchvision ``MobileNetV2`` keys to mmpretrain's ``MobileNetV2``.

    torchvision: ``features.0`` = stem (conv ``0``, BN ``1``), ``features.1``
    ..``features.17`` = inverted residuals whose ``conv`` holds ConvBNReLU
    blocks (``conv.<j>.0`` conv, ``conv.<j>.1`` BN) then a plain linear conv
    ``conv.<k>`` and its BN ``conv.<k+1>``, ``features.18`` = last 1x1
    ConvBNReLU. mmpretrain: ``conv1``, ``layer<s>.<b>.conv.<j>.{conv,bn}``
    (the linear conv and its BN are one ConvModule), ``conv2``.
    """
    fmt = 'torchvision-mobilenet_v2'
    sd = _unwrap(ckpt, 'state_dict')
    sd = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in sd.items())
    if 'features.0.0.weight' not in sd or 'features.18.0.weight' not in sd:
        raise KeyError(f'{fmt}: no features.0.0.weight / features.18.0.weight'
                       f': not a torchvision MobileNetV2 (got '
                       f'{list(sd)[:5]}...)')
    blocks = [
        f'layer{s + 1}.{b}' for s, n in enumerate(_MOBILENET_V2_BLOCKS)
        for b in range(n)
    ]
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith('classifier.'):
            continue
        m = re.match(r'^features\.(\d+)\.(.*)$', key)
        if m is None or int(m[1]) > len(blocks) + 1:
            raise KeyError(f'{fmt}: unknown key {key}')
        index, rest = int(m[1]), m[2]
        if index in (0, len(blocks) + 1):  # stem / last conv: 0 conv, 1 BN
            name = 'conv1' if index == 0 else 'conv2'
            part, param = rest.split('.', 1)
            out[f'{name}.{("conv", "bn")[int(part)]}.{param}'] = value
            continue
        block = blocks[index - 1]
        nested = re.match(r'^conv\.(\d+)\.([01])\.(.*)$', rest)
        flat = re.match(r'^conv\.(\d+)\.([a-z_]+)$', rest)
        if nested:
            j, part, param = nested.groups()
            out[f'{block}.conv.{j}.{("conv", "bn")[int(part)]}.{param}'] = \
                value
        elif flat and value.dim() == 4:  # the linear 1x1 conv
            out[f'{block}.conv.{flat[1]}.conv.{flat[2]}'] = value
        elif flat:  # its BN, one index after it
            out[f'{block}.conv.{int(flat[1]) - 1}.bn.{flat[2]}'] = value
        else:
            raise KeyError(f'{fmt}: unknown key {key}')
    return out


FORMATS: Dict[str, Callable] = {
    'torchvision': convert_torchvision,
    'moco': convert_moco,
    'pycontrast': convert_pycontrast,
    'simclr-v1': convert_simclr_v1,
    'simclr-v2': convert_simclr_v2,
    'byol': convert_byol,
    'swav': convert_swav,
    'deepcluster-v2': convert_swav,
    'dino-vit': convert_timm_vit,
    'mae-vit': lambda ckpt: convert_timm_vit(ckpt, 'mae-vit'),
    'mocov3-vit': convert_mocov3_vit,
    'torchvision-mobilenet_v2': convert_torchvision_mobilenet_v2,
}


def convert(ckpt, fmt: str, **kwargs):
    """Convert a loaded checkpoint of format ``fmt`` (see ``FORMATS``)."""
    if fmt not in FORMATS:
        raise KeyError(f'unknown format "{fmt}"; known: {sorted(FORMATS)}')
    return FORMATS[fmt](ckpt, **kwargs)
