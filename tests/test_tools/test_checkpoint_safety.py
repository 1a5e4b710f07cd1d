"""Every entry point that loads a checkpoint refuses one that would run code
when unpickled, before anything in it runs (the marker file it would create
stays absent), and loads it with the explicit opt-in, logging a warning
(mmctune.utils.checkpoint; docs/reliability.md)."""
import glob
import os.path as osp

import pytest
import torch
import torchvision

from mmctune.apis import ImageClassificationInferencer, init_model
from mmctune.utils.checkpoint import UnsafeCheckpointError
from ..test_utils.test_checkpoint import RunsCode, current_log
from .tool_loader import load_tool

TRUST = '--trust-checkpoint'


class Case:
    """A checkpoint that runs ``touch <marker>`` when unpickled, with the
    weights of ``source`` (a file or a state dict)."""

    def __init__(self, tmp_path, source, name='evil.pth', legacy=False):
        self.dir = tmp_path
        self.marker = tmp_path / 'code-ran'
        ckpt = (
            torch.load(source, map_location='cpu', weights_only=False)
            if isinstance(source, str) else dict(source))
        ckpt.setdefault('meta', {})
        ckpt['meta'] = dict(ckpt['meta'], note=RunsCode(self.marker))
        self.path = str(tmp_path / name)
        torch.save(ckpt, self.path, _use_new_zipfile_serialization=not legacy)
        self.log = current_log(tmp_path)

    def refused(self, call, *args, **kwargs):
        with pytest.raises(UnsafeCheckpointError) as info:
            call(*args, **kwargs)
        assert 'posix.system' in str(info.value)
        assert self.path in str(info.value)
        assert not self.marker.exists()

    def trusted(self, call, *args, **kwargs):
        result = call(*args, **kwargs)
        assert self.marker.exists()
        logs = [self.log] + [
            p for p in glob.glob(
                osp.join(self.dir, '**', '*.log'), recursive=True)
        ]
        assert any('loaded in full' in open(p).read() for p in logs
                   if osp.isfile(p)), logs
        return result


@pytest.fixture
def case(tiny_trained, tmp_path):
    """(config, Case) of the tiny trained run's last checkpoint."""
    config, _, ckpt = tiny_trained
    return config, Case(tmp_path, ckpt)


def test_train_load_from(case):
    train = load_tool('train.py')
    config, evil = case
    args = [
        config, '--work-dir',
        str(evil.dir / 'run'), '--cfg-options', f'load_from={evil.path}',
        'train_cfg.max_epochs=1', 'param_scheduler.T_max=1'
    ]
    evil.refused(train.main, args)
    evil.trusted(train.main, args + [TRUST])


def test_train_init_cfg(case):
    train = load_tool('train.py')
    config, evil = case
    child = evil.dir / 'child.py'
    child.write_text(f"""_base_ = [{config!r}]
model = dict(backbone=dict(init_cfg=dict(
    _delete_=True, type='Pretrained', checkpoint={evil.path!r},
    prefix='backbone.')))
train_cfg = dict(max_epochs=1)
param_scheduler = dict(T_max=1)
""")
    args = [str(child), '--work-dir', str(evil.dir / 'run')]
    evil.refused(train.main, args)
    evil.trusted(train.main, args + [TRUST])


def test_train_resume(case):
    train = load_tool('train.py')
    config, evil = case
    args = [config, '--work-dir', str(evil.dir / 'run'), '--resume', evil.path]
    evil.refused(train.main, args)
    runner = evil.trusted(train.main, args + [TRUST])
    assert runner.epoch == 2  # resumed at the end of its 2 epochs


def test_test_and_infer(case):
    test, infer = load_tool('test.py'), load_tool('infer.py')
    config, evil = case
    args = [config, evil.path, '--work-dir', str(evil.dir / 'test')]
    evil.refused(test.main, args)
    metrics = evil.trusted(test.main, args + [TRUST])
    assert 'accuracy/top1' in metrics

    evil.marker.unlink()
    image = evil.dir / 'img.png'
    import mmcv
    import numpy as np
    mmcv.imwrite(np.zeros((28, 28), np.uint8), str(image))
    evil.refused(infer.main, [config, evil.path, str(image)])
    records = evil.trusted(infer.main, [config, evil.path, str(image), TRUST])
    assert len(records) == 1


def test_inference_apis(case):
    config, evil = case
    evil.refused(init_model, config, evil.path)
    evil.refused(ImageClassificationInferencer, config, evil.path)
    inferencer = evil.trusted(
        ImageClassificationInferencer,
        config,
        evil.path,
        trust_checkpoint=True)
    assert inferencer.model is not None


def test_analysis_tools(case, tiny_trained):
    config, evil = case
    tsne = load_tool('analysis_tools/tsne.py')
    evil.refused(tsne.main, [config, evil.path, '--out', str(evil.dir / 'a')])
    feature_eval = load_tool('analysis_tools/feature_eval.py')
    evil.refused(feature_eval.main,
                 [config, evil.path, '--work-dir',
                  str(evil.dir / 'knn')])
    rank = load_tool('analysis_tools/rank_checkpoints.py')
    args = [
        config, '--checkpoints', evil.path, '--work-dir',
        str(evil.dir / 'rank'), '--device', 'cpu'
    ]
    evil.refused(rank.main, args)
    confusion = load_tool('analysis_tools/confusion_matrix.py')
    evil.refused(confusion.main, [config, evil.path])
    result = evil.trusted(rank.main, args + [TRUST])
    assert len(result['candidates']) == 1


def test_weight_ensemble(ensemble_setup, tmp_path):
    we = load_tool('model_converters/weight_ensemble.py')
    config, _, runs = ensemble_setup
    sub = tmp_path / 'evil'
    sub.mkdir()
    evil = Case(sub, runs[0])
    args = [
        'soup', config, evil.path, runs[1], '--out',
        str(evil.dir / 'soup.pth'), '--bn-batches', '0', '--holdout', '0.2',
        '--device', 'cpu'
    ]
    evil.refused(we.main, args)
    record = evil.trusted(we.main, args + [TRUST])
    assert len(record['ingredients']) == 2


@pytest.fixture(scope='module')
def tv_resnet18_sd():
    torch.manual_seed(0)
    return torchvision.models.resnet18().state_dict()


def test_converters(tmp_path, tv_resnet18_sd):
    convert = load_tool('model_converters/convert_ssl_checkpoint.py')
    # MoCo v2's release: a .pth.tar in torch's legacy format
    moco = dict(
        epoch=200,
        arch='resnet50',
        state_dict={
            'module.encoder_q.' + k: v
            for k, v in tv_resnet18_sd.items()
        })
    evil = Case(tmp_path, moco, 'moco_v2_200ep_pretrain.pth.tar', True)
    out = str(tmp_path / 'out.pth')
    args = ['--format', 'moco', evil.path, out]
    evil.refused(convert.main, args)
    evil.trusted(convert.main, args + [TRUST])
    converted = torch.load(out, weights_only=True)['state_dict']
    assert torch.equal(converted['conv1.weight'],
                       tv_resnet18_sd['conv1.weight'])

    mobilenet = load_tool('model_converters/mobilenet_v2_imagenet.py')
    sub = tmp_path / 'mbv2'
    sub.mkdir()
    mbv2 = torchvision.models.mobilenet_v2().state_dict()
    evil = Case(sub, dict(state_dict=mbv2), 'mobilenet_v2-b0353104.pth')
    args = [str(sub / 'out.pth'), '--src', evil.path]
    evil.refused(mobilenet.main, args)
    evil.trusted(mobilenet.main, args + [TRUST])


def test_trust_flag_is_per_process_run(case):
    """A tool run with the flag leaves the next run without it untrusted
    (in-process runs of the tools, as the tests make them)."""
    test = load_tool('test.py')
    config, evil = case
    args = [config, evil.path, '--work-dir', str(evil.dir / 't')]
    evil.trusted(test.main, args + [TRUST])
    evil.marker.unlink()
    evil.refused(test.main, args)
