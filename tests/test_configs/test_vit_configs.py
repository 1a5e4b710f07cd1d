"""The ViT miniature's configs: what each trains (full fine-tuning, LoRA,
VPT), and LoRA's and VPT's Core-tuning configs through tools/train.py from a
plain pre-trained ViT checkpoint, stopped and resumed: the same weights as
the uninterrupted run."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmctune.models import build_model
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from ..conftest import ROOT, train_whole_and_resumed, write_tiny_config

D, LAYERS, PATCHES = 192, 12, 16  # ViT-Tiny on 7x7 patches of 28x28
HEAD = D * 10 + 10
PROJECTOR = (D * D + D) + (D * 64 + 64)
LORA = LAYERS * 4 * (D + 3 * D)  # rank 4 on each 192 -> 576 qkv
PROMPTS = 5 * D
# config -> (trained backbone parameters, trained head parameters)
CONFIGS = {
    'baselines/ce_vit-tiny-p7_simclr_fmnist': (None, HEAD),
    'baselines/scl_vit-tiny-p7_simclr_fmnist': (None, HEAD + PROJECTOR),
    'coretune/vit-tiny-p7_simclr_fmnist': (None, HEAD + PROJECTOR),
    'lora/vit-tiny-p7_simclr_fmnist': (LORA, HEAD),
    'lora/coretune-lora_vit-tiny-p7_simclr_fmnist': (LORA, HEAD + PROJECTOR),
    'vpt/shallow_vit-tiny-p7_simclr_fmnist': (PROMPTS, HEAD),
    'vpt/deep_vit-tiny-p7_simclr_fmnist': (LAYERS * PROMPTS, HEAD),
    'vpt/coretune-vpt-deep_vit-tiny-p7_simclr_fmnist':
    (LAYERS * PROMPTS, HEAD + PROJECTOR),
}


def build(name):
    """The config's model as the Runner builds it, without its
    pre-training."""
    return build_model(osp.join(ROOT, 'configs', name + '.py'))


def trained(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_what_each_config_trains(name):
    model = build(name)
    backbone, head = CONFIGS[name]
    if backbone is None:  # full fine-tuning
        backbone = sum(p.numel() for p in model.backbone.parameters())
    assert trained(model.backbone) == backbone
    assert trained(model.head) == head
    # the class token of the 12 layers feeds the head
    assert model.backbone.out_type == 'cls_token'
    assert len(model.backbone.layers) == LAYERS
    assert model.backbone.patch_embed.init_out_size == (4, 4)


# the runs below: the configs' ViT at a tenth of its width and 2 layers
SMALL = dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32)


def test_the_pretraining_builds_the_fine_tuned_vit():
    """The SimCLR config writes its ViT out (its base is the ResNet's
    SimCLR): the same arch as the fine-tuning configs', heads included,
    which no checkpoint load could check (the weights' shapes do not
    depend on the number of heads)."""
    pre = Config.fromfile(
        osp.join(ROOT, 'configs/pretrain/simclr_vit-tiny-p7_fmnist_2e.py'))
    fine = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/vit-tiny-p7_fmnist.py'))
    assert pre.model.backbone.to_dict() == fine.model.backbone.to_dict()
    assert pre.model.neck.in_channels == fine.model.head.in_channels


@pytest.fixture(scope='module')
def plain_vit_checkpoint(tmp_path_factory):
    """A pre-trained small ViT (the miniature's, ``SMALL``) as the SimCLR
    pre-training writes it: an mmpretrain model's ``backbone.`` keys."""
    register_all_modules()
    torch.manual_seed(3)
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/vit-tiny-p7_fmnist.py'))
    vit = MODELS.build(dict(cfg.model.backbone, arch=SMALL))
    vit.init_weights()
    path = str(tmp_path_factory.mktemp('vit') / 'epoch_2.pth')
    torch.save(
        dict(
            state_dict={
                f'backbone.{k}': v
                for k, v in vit.state_dict().items()
            },
            meta=dict(epoch=2)), path)
    return path


@pytest.mark.parametrize(
    'name,new',
    [('lora/coretune-lora_vit-tiny-p7_simclr_fmnist', '4 keys'),
     ('vpt/coretune-vpt-deep_vit-tiny-p7_simclr_fmnist', '2 keys')])
def test_trains_from_a_plain_vit_and_resumes(name, new, tiny_fmnist,
                                             plain_vit_checkpoint, tmp_path):
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base=f'configs/{name}.py',
        extra=f"""
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, **{SMALL!r}),
        init_cfg=dict(type='Pretrained',
                      checkpoint={plain_vit_checkpoint!r},
                      prefix='backbone.')),
    head=dict(in_channels=16, projector=dict(in_channels=16)))
train_cfg = dict(max_epochs=2, val_interval=2)
param_scheduler = dict(T_max=2, end=2)
randomness = dict(seed=0)
""")
    whole, parts, (first, _, resumed) = train_whole_and_resumed(
        cfg, tmp_path, ['train_cfg.max_epochs=1', 'param_scheduler.end=2'])
    # the plain ViT's weights loaded strictly, LoRA's updates / the prompts
    # reported as new
    assert f'{new} of parameters new to this' in first
    assert 'resumed epoch: 1' in resumed
    a = torch.load(osp.join(whole, 'epoch_2.pth'), weights_only=False)
    b = torch.load(osp.join(parts, 'epoch_2.pth'), weights_only=False)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for k in a['state_dict']:
        assert torch.equal(a['state_dict'][k], b['state_dict'][k]), k
    # the frozen network is still the pre-trained one
    pre = torch.load(plain_vit_checkpoint, weights_only=False)['state_dict']
    for k, v in pre.items():
        assert torch.equal(a['state_dict'][k], v), k
