"""build_model: a config's model as the Runner builds it (the config's data
preprocessor), without its pre-trained weights unless asked, and then
loading them strictly."""
import pytest
import torch
from mmengine.config import Config

from mmctune.models import build_model, model_config
from ..conftest import write_tiny_config


def test_without_and_with_the_pretrained_weights(tiny_fmnist, tmp_path):
    cfg = Config.fromfile(write_tiny_config(tmp_path / 'cfg.py', tiny_fmnist))
    torch.manual_seed(0)
    ref = build_model(cfg)
    ckpt = str(tmp_path / 'pre.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v + 1
            for k, v in ref.backbone.state_dict().items()
        }), ckpt)
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=ckpt, prefix='backbone.')
    # the top-level data preprocessor, as the Runner gives it
    assert 'data_preprocessor' not in cfg.model
    model = build_model(cfg)
    torch.testing.assert_close(model.data_preprocessor.mean,
                               torch.tensor([72.94]).view(-1, 1, 1))
    # no pre-trained weights, and none later: init_cfg is not kept
    assert 'init_cfg' not in model_config(cfg, pretrained=False).backbone
    model.init_weights()
    w = model.backbone.conv1.weight
    assert not torch.equal(w, ref.backbone.conv1.weight + 1)
    # pretrained=True: loaded (strictly), the config itself unchanged
    model = build_model(cfg, pretrained=True)
    torch.testing.assert_close(model.backbone.conv1.weight,
                               ref.backbone.conv1.weight + 1)
    assert cfg.model.backbone.init_cfg.checkpoint == ckpt
    assert 'data_preprocessor' not in cfg.model
    cfg.model.backbone.init_cfg.prefix = 'nothing.'
    with pytest.raises(Exception, match='prefix "nothing."'):
        build_model(cfg, pretrained=True)
