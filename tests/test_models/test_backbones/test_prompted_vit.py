"""PromptedViT (VPT-shallow and VPT-deep) against a per-image loop of the
paper's formulas, its frozen parameters and its strict pre-trained load."""
import math

import pytest
import torch

from mmctune.models import PromptedViT
from mmctune.models.utils import CheckpointMismatchError, Pretrained
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules

ARCH = dict(embed_dims=8, num_layers=3, num_heads=2, feedforward_channels=16)
KW = dict(arch=ARCH, img_size=12, patch_size=4, in_channels=1)


def prompted(**kwargs):
    torch.manual_seed(0)
    model = PromptedViT(**dict(KW, num_prompts=3, **kwargs)).double()
    with torch.no_grad():  # weights large enough for every token to matter
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model


def reference(model, image):
    """The VPT forward of one image, token by token: [class, prompts,
    patches] into the first layer; VPT-deep replaces the prompt tokens by
    the next layer's prompts before every later layer; the class token of
    the final norm's output."""
    vit = model
    patches = vit.patch_embed.projection(image[None])[0]  # (d, h, w)
    tokens = [vit.cls_token[0, 0] + vit.pos_embed[0, 0]]
    patch_tokens = [
        patches[:, i, j] + vit.pos_embed[0, 1 + i * patches.shape[2] + j]
        for i in range(patches.shape[1]) for j in range(patches.shape[2])
    ]
    prompts = list(vit.prompt[0])
    n = len(prompts)
    x = torch.stack(tokens + prompts + patch_tokens)
    for i, layer in enumerate(vit.layers):
        if vit.deep and i > 0:
            x = torch.stack([x[0]] + list(vit.deep_prompts[i - 1]) +
                            list(x[1 + n:]))
        x = layer(x[None])[0]
    return vit.ln1(x)[0]


@pytest.mark.parametrize('deep', [False, True])
def test_matches_the_formula_per_image(deep):
    model = prompted(deep=deep).eval()
    images = torch.randn(3, 1, 12, 12, dtype=torch.float64)
    out, = model(images)
    expected = torch.stack([reference(model, im) for im in images])
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-10)
    # the prompts matter: other prompts, other features (a random change:
    # a constant shift of a token vanishes in the layers' LayerNorm)
    with torch.no_grad():
        p = model.deep_prompts if deep else model.prompt
        p.add_(torch.randn_like(p))
    assert not torch.allclose(model(images)[0], out)


def test_deep_prompts_replace_the_previous_ones():
    """In VPT-deep the tokens entering a later layer hold that layer's own
    prompts at the prompt places, not the outputs of the layer before."""
    torch.manual_seed(0)
    model = PromptedViT(
        **dict(KW, arch=dict(ARCH, num_layers=2), num_prompts=2,
               deep=True)).double().eval()
    x = torch.randn(2, 1, 12, 12, dtype=torch.float64)
    tokens = {}
    model.layers[1].register_forward_hook(
        lambda m, args, out: tokens.setdefault('in', args[0]))
    model(x)
    torch.testing.assert_close(tokens['in'][:, 1:3],
                               model.deep_prompts[0].expand(2, -1, -1))
    # in place of the first layer's prompts, not inserted beside them: the
    # class token, 2 prompts and the 9 patches
    assert tokens['in'].shape[1] == 1 + 2 + 9


def test_feature_maps_leave_the_prompts_out():
    model = prompted(deep=True, out_type='featmap').eval()
    out, = model(torch.randn(2, 1, 12, 12, dtype=torch.float64))
    assert out.shape == (2, 8, 3, 3)


def test_only_the_prompts_train_and_the_network_stays_in_eval():
    model = prompted(deep=True, drop_path_rate=0.1, prompt_dropout=0.1)
    assert [n for n, p in model.named_parameters()
            if p.requires_grad] == ['prompt', 'deep_prompts']
    model.train()
    assert model.prompt_dropout.training
    assert not any(m.training for m in model.layers.modules())
    model(torch.randn(2, 1, 12, 12, dtype=torch.float64))[0].sum().backward()
    assert model.prompt.grad.abs().sum() > 0
    assert model.deep_prompts.grad.abs().sum() > 0
    assert all(p.grad is None for n, p in model.named_parameters()
               if 'prompt' not in n)
    # unfrozen: everything trains
    free = prompted(freeze_backbone=False)
    assert all(p.requires_grad for p in free.parameters())


def test_prompts_start_in_the_xavier_bound():
    model = PromptedViT(**dict(KW, num_prompts=50, deep=True))
    bound = math.sqrt(6 / (1 * 4 * 4 + 8))
    for p in (model.prompt, model.deep_prompts):
        assert p.abs().max() <= bound
        assert p.abs().max() > 0.9 * bound  # uniform over the whole range
    assert model.deep_prompts.shape == (2, 50, 8)
    # a patch size given as a pair, as mmpretrain's ViT takes it
    pair = PromptedViT(**dict(KW, patch_size=(4, 4), num_prompts=50))
    assert pair.prompt.abs().max() <= bound


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_prompts must be 1 or more'):
        PromptedViT(**dict(KW, num_prompts=0))
    with pytest.raises(ValueError, match='with_cls_token must be True'):
        PromptedViT(**dict(KW, with_cls_token=False, out_type='featmap'))


def test_a_plain_vit_checkpoint_loads_strictly(tmp_path):
    register_all_modules()
    torch.manual_seed(1)
    vit = MODELS.build(dict(type='mmpretrain.VisionTransformer', **KW))
    path = str(tmp_path / 'vit.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in vit.state_dict().items()
        }), path)
    model = PromptedViT(**dict(KW, deep=True))
    prompt = model.prompt.detach().clone()
    Pretrained(checkpoint=path, prefix='backbone.')(model)
    for k, v in vit.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    assert torch.equal(model.prompt, prompt)  # new: kept as initialised
    # the prompts aside, a wrong prefix is still refused
    with pytest.raises(CheckpointMismatchError, match='prefix="backbone."'):
        Pretrained(checkpoint=path)(PromptedViT(**KW))
