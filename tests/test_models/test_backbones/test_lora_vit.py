"""LoRAViT: the LoRA update against its formula, the merged weights, what
trains, and the strict load of a plain ViT checkpoint."""
import pytest
import torch
from torch import nn

from mmctune.models import LoRALinear, LoRAViT
from mmctune.models.utils import CheckpointMismatchError, Pretrained
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules

ARCH = dict(embed_dims=8, num_layers=2, num_heads=2, feedforward_channels=16)
KW = dict(arch=ARCH, img_size=12, patch_size=4, in_channels=1)


def plain_vit(seed=1):
    register_all_modules()
    torch.manual_seed(seed)
    vit = MODELS.build(dict(type='mmpretrain.VisionTransformer', **KW))
    vit.init_weights()
    vit.double().eval()  # (mmpretrain's ViT.train returns None)
    return vit


def test_lora_linear_is_its_formula():
    torch.manual_seed(0)
    base = nn.Linear(6, 5).double()
    layer = LoRALinear(base, rank=2, alpha=3.0)
    assert layer.weight is base.weight and layer.bias is base.bias
    x = torch.randn(4, 6, dtype=torch.float64)
    torch.testing.assert_close(layer(x), base(x))  # B starts at zero
    with torch.no_grad():
        layer.lora_up.normal_()
    A, B = layer.lora_down, layer.lora_up
    expected = torch.stack(
        [base.weight @ xi + base.bias + 3.0 / 2 * (B @ (A @ xi)) for xi in x])
    torch.testing.assert_close(layer(x), expected, rtol=1e-12, atol=1e-12)
    assert list(dict(layer.named_parameters())) == [
        'weight', 'bias', 'lora_down', 'lora_up'
    ]


def test_starts_as_the_pretrained_vit_and_merges_into_one(tmp_path):
    vit = plain_vit()
    path = str(tmp_path / 'vit.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in vit.state_dict().items()
        }), path)
    model = LoRAViT(
        **KW,
        targets=['qkv', 'ffn.layers.1'],
        init_cfg=dict(type='Pretrained', checkpoint=path,
                      prefix='backbone.')).double()
    model.init_weights()
    model.eval()
    x = torch.randn(3, 1, 12, 12, dtype=torch.float64)
    # the layers' own initialisation (xavier on the FFN's linear layers)
    # does not reach the updates: the model starts as the checkpoint
    torch.testing.assert_close(model(x)[0], vit(x)[0])
    assert model.adapted == ('layers.0.attn.qkv', 'layers.1.attn.qkv',
                             'layers.0.ffn.layers.1', 'layers.1.ffn.layers.1')
    with torch.no_grad():
        for p in model.lora_parameters().values():
            p.normal_(0, 0.3)
    merged = plain_vit(seed=5)
    merged.load_state_dict(model.merged_state_dict())
    torch.testing.assert_close(model(x)[0], merged(x)[0])
    assert not torch.allclose(model(x)[0], vit(x)[0])


def test_only_the_updates_train():
    model = LoRAViT(**KW, lora_rank=3)
    trained = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trained == [
        f'layers.{i}.attn.qkv.lora_{s}' for i in range(2)
        for s in ('down', 'up')
    ]
    # rank 3 on each 8 -> 24 projection: 3 * (8 + 24) per layer
    assert sum(model.get_parameter(n).numel() for n in trained) == 2 * 96
    model(torch.randn(2, 1, 12, 12))[0].sum().backward()
    assert all(p.grad is None for n, p in model.named_parameters()
               if n not in trained)
    assert model.layers[0].attn.qkv.lora_down.grad is not None


def test_bad_targets_are_refused_each():
    with pytest.raises(ValueError, match="'qkvv' matches no linear layer"):
        LoRAViT(**KW, targets=['qkv', 'qkvv'])
    with pytest.raises(ValueError, match='a non-empty list'):
        LoRAViT(**KW, targets='qkv')
    with pytest.raises(ValueError, match='lora_rank must be 1 or more'):
        LoRAViT(**KW, lora_rank=0)


def test_a_checkpoint_of_another_vit_is_refused(tmp_path):
    vit = plain_vit()
    path = str(tmp_path / 'vit.pth')
    torch.save(vit.state_dict(), path)
    other = LoRAViT(**dict(KW, arch=dict(ARCH, embed_dims=16)))
    with pytest.raises(CheckpointMismatchError, match='shape mismatch'):
        Pretrained(checkpoint=path)(other)
    # its own: loads, the updates reported as new
    Pretrained(checkpoint=path)(LoRAViT(**KW))
