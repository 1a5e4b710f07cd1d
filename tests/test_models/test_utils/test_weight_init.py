"""Strict ``Pretrained`` loading through ``init_cfg``."""
import pytest
import torch

from mmctune.models.utils import CheckpointMismatchError
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules

register_all_modules()


def resnet(depth=50, init_cfg=None):
    return MODELS.build(
        dict(type='mmpretrain.ResNet', depth=depth, init_cfg=init_cfg))


@pytest.fixture(scope='module')
def moco_checkpoint(tmp_path_factory):
    """A checkpoint laid out as facebookresearch/moco publishes it: query
    and key encoders under ``module.encoder_{q,k}.``, the MLP head in
    ``fc.0``/``fc.2``, the queue, an optimizer, an epoch and an arch."""
    torch.manual_seed(0)
    source = resnet().state_dict()
    sd = {}
    for k, v in source.items():
        w = torch.randn_like(v) if v.is_floating_point() else v + 3
        sd['module.encoder_q.' + k] = w
        sd['module.encoder_k.' + k] = w.clone()
    sd['module.encoder_q.fc.0.weight'] = torch.randn(2048, 2048)
    sd['module.encoder_q.fc.2.weight'] = torch.randn(128, 2048)
    sd['module.queue'] = torch.randn(128, 16)
    path = tmp_path_factory.mktemp('moco') / 'moco_v2_800ep_pretrain.pth.tar'
    torch.save(
        dict(epoch=800, arch='resnet50', state_dict=sd, optimizer={}), path)
    return str(path), sd


def test_moco_checkpoint_loads_every_backbone_key(moco_checkpoint):
    path, sd = moco_checkpoint
    model = resnet(
        init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix='module.encoder_q.'))
    model.init_weights()
    state = model.state_dict()
    for k, v in state.items():
        assert torch.equal(v, sd['module.encoder_q.' + k]), k


def test_classifier_config_loads_moco_weights(moco_checkpoint):
    """The same through a whole classifier built from a config, the way
    tools/train.py builds it; the head keeps its own initialisation."""
    path, sd = moco_checkpoint
    model = MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=50,
                init_cfg=dict(
                    type='Pretrained',
                    checkpoint=path,
                    prefix='module.encoder_q.')),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead',
                num_classes=3,
                in_channels=2048,
                # under default_scope='mmctune', upstream defaults are named
                # with their scope too
                loss=dict(type='mmpretrain.CrossEntropyLoss'))))
    model.init_weights()
    assert torch.equal(model.backbone.conv1.weight,
                       sd['module.encoder_q.conv1.weight'])
    assert torch.equal(model.backbone.layer4[2].bn3.running_var,
                       sd['module.encoder_q.layer4.2.bn3.running_var'])


@pytest.mark.parametrize('prefix', [None, 'module.'])
def test_wrong_prefix_names_the_missing_keys(moco_checkpoint, prefix):
    path, _ = moco_checkpoint
    model = resnet(
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix=prefix))
    before = model.conv1.weight.clone()
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    msg = str(err.value)
    assert 'missing keys' in msg and 'conv1.weight' in msg
    assert 'module.encoder_q.' in msg  # what the checkpoint does have
    # the advice: the prefix to set, not another architecture
    assert 'set `prefix="module.encoder_q."`' in msg
    assert 'another architecture' not in msg
    assert torch.equal(model.conv1.weight, before)  # nothing half-loaded


def test_prefix_absent_from_checkpoint(moco_checkpoint):
    path, _ = moco_checkpoint
    model = resnet(
        init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix='module.encoder.'))
    with pytest.raises(CheckpointMismatchError, match='module.encoder_q.'):
        model.init_weights()


def test_wrong_architecture_names_shape_mismatch(tmp_path):
    r18 = resnet(depth=18).state_dict()
    r18_as_r34 = {k: v for k, v in r18.items()}
    path = tmp_path / 'r18.pth'
    torch.save(r18_as_r34, path)
    model = resnet(
        depth=50, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    assert 'shape mismatch' in str(err.value) or 'missing keys' in str(
        err.value)
    assert 'layer1.0.conv3.weight' in str(err.value)  # r50 has it, r18 not
    # an architecture mismatch is told apart from a prefix mismatch
    assert ('another architecture: ResNet-18, and the model is ResNet-50'
            in str(err.value))
    assert 'Set `prefix`' not in str(err.value)


def test_other_width_is_another_architecture(tmp_path):
    narrow = MODELS.build(
        dict(type='mmpretrain.ResNet', depth=18,
             base_channels=32)).state_dict()
    path = tmp_path / 'narrow.pth'
    torch.save(narrow, path)
    model = resnet(
        depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    assert 'another architecture: its key names match' in str(err.value)


def test_a_backbone_given_to_a_whole_model_is_named(tmp_path):
    from mmctune.models.utils import load_state_dict_strict
    from ...conftest import tiny_classifier
    model = tiny_classifier(
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    backbone = {
        k[len('backbone.'):]: v
        for k, v in model.state_dict().items() if k.startswith('backbone.')
    }
    with pytest.raises(
            CheckpointMismatchError,
            match='holds only the part under "backbone."'):
        load_state_dict_strict(model, backbone)


def test_torchvision_checkpoint_without_bn_counters(tmp_path):
    """torchvision's 2017 ResNet-50 file has no ``num_batches_tracked``:
    those counters alone may be absent."""
    import torchvision
    tv = torchvision.models.resnet50().state_dict()
    tv = {k: v for k, v in tv.items() if 'num_batches_tracked' not in k}
    path = tmp_path / 'resnet50-19c8e357.pth'
    torch.save(tv, path)
    model = resnet(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert torch.equal(model.layer3[1].conv2.weight,
                       tv['layer3.1.conv2.weight'])


def test_missing_file_is_an_error():
    model = resnet(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='/no/such/file.pth'))
    with pytest.raises(
            FileNotFoundError,
            match='/no/such/file.pth not found: the pre-trained weights that '
            'the init_cfg of ResNet loads.*--cfg-options '
            'model.backbone.init_cfg.checkpoint=PATH'):
        model.init_weights()
