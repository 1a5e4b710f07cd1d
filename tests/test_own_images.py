"""docs/own_images.md, run as written: its configs are written from its
``python`` blocks (the first line names the file), its ``bash`` blocks run
in one shell in a folder that holds links to configs/ and tools/, a tiny
image folder and a checkpoint in MoCo's published format.

What the test changes, each a documented substitution: a smaller grid;
``--smoke`` for training (64 px crops, 16 images, 1 epoch); a narrow
ResNet-50 (8 base channels) for every command that builds the model, the
checkpoint being one of that network; no data-loader workers."""
import json
import os
import os.path as osp
import re
import subprocess

import numpy as np
import torch
from PIL import Image

from .conftest import ROOT, _fork_server
from .forkserver import python_shim

GUIDE = osp.join(ROOT, 'docs', 'own_images.md')
CLASSES = {'cat': (200, 60, 60), 'dog': (60, 200, 60), 'owl': (60, 60, 200)}
GRID = 'ETAS="0.1 1 10"; ALPHAS="0.1 1 10"'
SMALL_GRID = 'ETAS="0.1 10"; ALPHAS="1"'
NARROW = ('model.backbone.base_channels=8 model.backbone.stem_channels=8 '
          'model.head.in_channels=256')


def blocks(language):
    with open(GUIDE) as f:
        return re.findall(rf'```{language}\n(.*?)```', f.read(), re.S)


def write_images(root, rng):
    """8 training, 3 test images per class (32x32, a colour per class with
    noise) and one new image per class."""
    for name, colour in CLASSES.items():
        for split, n in (('train', 8), ('test', 3)):
            folder = osp.join(root, 'data', 'my_images', split, name)
            os.makedirs(folder)
            for i in range(n):
                noise = rng.normal(0, 25, (32, 32, 3))
                img = np.clip(np.array(colour) + noise, 0, 255)
                Image.fromarray(img.astype(np.uint8)).save(
                    osp.join(folder, f'{i}.png'))
    os.makedirs(osp.join(root, 'new_images'))
    for i, colour in enumerate(CLASSES.values()):
        img = np.clip(
            np.array(colour) + rng.normal(0, 25, (32, 32, 3)), 0, 255)
        Image.fromarray(img.astype(np.uint8)).save(
            osp.join(root, 'new_images', f'{i}.png'))


def write_moco_checkpoint(path):
    """A ResNet-50 of 8 base channels, laid out as facebookresearch/moco
    publishes its checkpoints: both encoders, the MLP head, the queue."""
    from mmctune.registry import MODELS
    torch.manual_seed(0)
    net = MODELS.build(
        dict(
            type='mmpretrain.ResNet',
            depth=50,
            base_channels=8,
            stem_channels=8))
    sd = {}
    for k, v in net.state_dict().items():
        sd['module.encoder_q.' + k] = v
        sd['module.encoder_k.' + k] = v.clone()
    sd.update({
        'module.encoder_q.fc.0.weight': torch.randn(256, 256),
        'module.encoder_q.fc.0.bias': torch.zeros(256),
        'module.encoder_q.fc.2.weight': torch.randn(128, 256),
        'module.encoder_q.fc.2.bias': torch.zeros(128),
        'module.queue': torch.randn(128, 16),
        'module.queue_ptr': torch.zeros(1, dtype=torch.long)
    })
    os.makedirs(osp.dirname(path))
    torch.save(
        dict(
            epoch=800,
            arch='resnet50',
            state_dict=sd,
            optimizer=dict(state={}, param_groups=[dict(lr=0.03)])), path)
    return sd


def shrunk(script):
    """The guide's shell commands with the test's substitutions."""
    assert GRID in script, 'the guide\'s grid line changed: update the test'
    script = script.replace(GRID, SMALL_GRID)
    script = script.replace('\\\n', ' ')
    lines = []
    for line in script.splitlines():
        command = line.split('#')[0].strip()
        if command.startswith('python tools/train.py'):
            line = f'{line} --smoke --cfg-options {NARROW}'
        elif any(
                command.startswith(tool)
                for tool in ('python tools/test.py',
                             'python tools/analysis_tools/confusion')):
            line = f'{line} --cfg-options {NARROW} ' \
                'test_dataloader.num_workers=0'
        elif command.startswith('python tools/infer.py'):
            line = f'{line} --cfg-options {NARROW}'
        lines.append(line)
    return '\n'.join(lines) + '\n'


def held_out(root):
    """The images my_images_coretune_val.py trains and validates on."""
    from mmengine.config import Config

    from mmctune.registry import DATASETS
    cwd = os.getcwd()
    os.chdir(root)  # the configs' paths are relative to the clone
    try:
        cfg = Config.fromfile('my_images_coretune_val.py')
        return [[
            osp.relpath(info['img_path'], 'data/my_images')
            for info in (dataset.get_data_info(i) for i in range(len(dataset)))
        ] for dataset in (DATASETS.build(cfg[f'{split}_dataloader'].dataset)
                          for split in ('train', 'val'))]
    finally:
        os.chdir(cwd)


def test_own_images_guide_runs_as_written(tmp_path):
    os.symlink(osp.join(ROOT, 'configs'), tmp_path / 'configs')
    os.symlink(osp.join(ROOT, 'tools'), tmp_path / 'tools')
    write_images(str(tmp_path), np.random.default_rng(0))
    checkpoint = tmp_path / 'checkpoints' / 'moco_v2_800ep_pretrain.pth.tar'
    write_moco_checkpoint(str(checkpoint))
    configs = [b for b in blocks('python') if re.match(r'# \w+\.py:', b)]
    for text in configs:
        name = re.match(r'# (\w+\.py):', text).group(1)
        (tmp_path / name).write_text(text)
    assert sorted(os.listdir(tmp_path)) == [
        'checkpoints', 'configs', 'data', 'my_images_coretune.py',
        'my_images_coretune_val.py', 'new_images', 'tools'
    ]
    # the download is not run (no internet here): the file written above
    # stands for it
    runnable = [b for b in blocks('bash') if 'not run by the tests' not in b]
    assert len(runnable) == len(blocks('bash')) - 1
    # `python` of the commands is this interpreter (a link would lose its
    # virtual environment); its `python SCRIPT ...` runs are forked from
    # the test process's fork server, as run_python's are
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    stop = python_shim(_fork_server(), bin_dir)
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    script = 'set -euo pipefail\n' + shrunk('\n'.join(runnable))
    try:
        r = subprocess.run(['bash', '-c', script],
                           cwd=str(tmp_path),
                           env=env,
                           stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT,
                           text=True,
                           timeout=900)
    finally:
        stop()
    assert r.returncode == 0, r.stdout[-5000:]
    out = r.stdout
    work = tmp_path / 'work_dirs' / 'my_images'

    # the images as the model gets them
    assert (work / 'browse' / 'train_0.png').is_file()
    # one validation run per pair, on the held-out 20% of each class
    # (round(0.2 * 8) = 2 of 8), and the table of them
    assert sorted(os.listdir(work /
                             'tune')) == ['eta0.1_alpha1', 'eta10_alpha1']
    train, val = held_out(tmp_path)
    assert len(val) == 6 and len(train) == 18 and not set(train) & set(val)
    assert all(path.startswith('train/') for path in train + val)
    rows = re.findall(r'^\| (eta\S+) \| (\d+\.\d+) ± ', out, re.M)
    assert [name for name, _ in rows] == ['eta0.1_alpha1', 'eta10_alpha1']
    # the final run loaded the published checkpoint's query encoder
    logs = [
        osp.join(root, f) for root, _, files in os.walk(work / 'coretune')
        for f in files if f.endswith('.log')
    ]
    log = open(logs[0]).read()
    assert 'load module.encoder_q. in checkpoints/' \
        'moco_v2_800ep_pretrain.pth.tar into ResNet' in log
    assert 'loss_con' in log and 'loss_mix' in log  # Core-tuning's terms
    # tested once on test/ (9 images), with its confusion matrix
    assert re.search(r'Epoch\(test\).*accuracy/top1: \d', out)
    assert '9 images, 3 classes; top-1 accuracy' in out
    assert (work / 'confusion.png').is_file()
    # the new images classified with the folder names
    for i in range(3):
        assert re.search(
            rf'new_images/{i}\.png: (cat|dog|owl) [\d.]+, '
            r'(cat|dog|owl) [\d.]+', out), out[-3000:]
    preds = json.loads((work / 'new_images.json').read_text())
    assert len(preds) == 3


def test_own_images_list_file_reads_the_same_images(tmp_path):
    """The guide's list-file variant reads what the class folders do."""
    from mmengine.config import Config

    from mmctune.registry import DATASETS
    os.symlink(osp.join(ROOT, 'configs'), tmp_path / 'configs')
    write_images(str(tmp_path), np.random.default_rng(0))
    data = tmp_path / 'data' / 'my_images'
    os.symlink(data / 'train', data / 'images')
    with open(data / 'train.txt', 'w') as f:
        for label, name in enumerate(sorted(CLASSES)):
            for i in range(8):
                f.write(f'{name}/{i}.png {label}\n')
    main, _ = [b for b in blocks('python') if re.match(r'# \w+\.py:', b)]
    variant, = [b for b in blocks('python') if 'ann_file' in b]
    (tmp_path / 'folders.py').write_text(main)
    (tmp_path / 'list.py').write_text(main + variant)

    def samples(config):
        cfg = Config.fromfile(str(tmp_path / config))
        dataset = DATASETS.build(
            dict(cfg.train_dataloader.dataset, pipeline=[]))
        return dataset.metainfo['classes'], sorted(
            (osp.relpath(osp.realpath(info['img_path']), data),
             int(info['gt_label'])) for info in (dataset.get_data_info(i)
                                                 for i in range(len(dataset))))

    cwd = os.getcwd()
    os.chdir(tmp_path)  # the configs' paths are relative to the clone
    try:
        folders, listed = samples('folders.py'), samples('list.py')
    finally:
        os.chdir(cwd)
    assert folders == listed
    assert tuple(folders[0]) == ('cat', 'dog', 'owl')
    assert len(folders[1]) == 24
