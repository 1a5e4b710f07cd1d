"""tools/demo.py and the Fashion-MNIST preparation on tiny data."""
import gzip
import os
import os.path as osp
import re

import pytest

from mmctune.apis import setting_models
from ..conftest import ROOT, run_python, write_idx_fmnist
from .tool_loader import load_tool

DEMO = osp.join(ROOT, 'tools', 'demo.py')
PREPARE = load_tool('dataset_converters/prepare_fashion_mnist.py')
FILES, prepare = PREPARE.FILES, PREPARE.prepare_fashion_mnist


def test_demo_pretrains_once_then_fine_tunes(tiny_fmnist, tmp_path):
    args = [
        DEMO, '--data-root', tiny_fmnist, '--work-dir',
        str(tmp_path), '--pretrain-images', '64', '--labelled', '48',
        '--test-images', '32', '--pretrain-epochs', '1', '--finetune-epochs',
        '1', '--batch-size', '16'
    ]
    first = run_python(args=args)
    assert first.returncode == 0, first.stdout[-3000:]
    assert 'SimCLR pre-training on 64 unlabelled' in first.stdout
    top1 = {}
    for method in ('CE-tuning', 'Core-tuning'):
        row = re.search(
            rf'\| {method} \| SimCLR .* \| 48 \| 32 \| ([\d.]+) \|',
            first.stdout)
        assert row and 0 <= float(row.group(1)) <= 100, method
        top1[method] = float(row.group(1))
    # the table as a figure: the same pixels as the printed numbers drawn
    # here, not as other numbers
    figure = osp.join(str(tmp_path), 'demo_results.png')
    assert ('figure of the table (test top-1 of each method, CE-tuning\'s '
            f'level dashed): {figure}') in first.stdout
    assert drawn(top1, tmp_path / 'printed.png') == read_png(figure)
    other = dict(top1, **{'Core-tuning': top1['Core-tuning'] + 1})
    assert drawn(other, tmp_path / 'other.png') != read_png(figure)
    # and the t-SNE of the two methods' features of the same test images
    tsne = osp.join(str(tmp_path), 'demo_tsne.png')
    assert ('t-SNE of CE-tuning and Core-tuning\'s features of the same 32 '
            f'test images: {tsne}') in first.stdout
    assert read_png(tsne)[:4] == b'\x89PNG' and osp.getsize(tsne) < 100_000
    assert 'loss_con' in first.stdout and 'loss_mix' in first.stdout
    # both fine-tunings started from the pre-trained backbone
    assert len(
        re.findall(r'load backbone\. in .*simclr_pretrain_\w+/epoch_1\.pth',
                   first.stdout)) == 2

    # other methods from the cached pre-training
    second = run_python(args=args +
                        ['--methods', 'L2-SP', 'Bi-tuning', 'AT-Core'])
    assert second.returncode == 0, second.stdout[-3000:]
    assert 'SimCLR pre-training: cached' in second.stdout
    for method in ('L2-SP', 'Bi-tuning', 'AT-Core'):
        assert re.search(rf'\| {method} \| SimCLR .* \| 48 \| 32 \| [\d.]+ \|',
                         second.stdout), method
    assert '| CE-tuning |' not in second.stdout
    # their figure; no t-SNE without CE-tuning and Core-tuning
    assert f'level dashed): {figure}' in second.stdout
    assert 't-SNE' not in second.stdout
    # the adversarially trained method's clean and PGD-10 top-1
    header = re.search(r'\| method \| clean \| (.*) \|\n', second.stdout)
    assert header and header.group(1).split(' | ') == [
        'pgd10-l2-0.5', 'pgd10-l2-1.5', 'pgd10-l2-2.5', 'pgd10-linf-2/255',
        'pgd10-linf-4/255', 'pgd10-linf-8/255'
    ]
    row = re.search(r'\| AT-Core \| ([\d.]+) \| (.*) \|\n', second.stdout)
    assert row, second.stdout[-2000:]
    clean, robust = float(
        row.group(1)), [float(v) for v in row.group(2).split(' | ')]
    # (robust <= clean is a trained model's property, tested in
    # test_robust_loop.py; after 3 steps on 48 images, PGD's random start
    # can move a near-random model's predictions either way)
    assert len(robust) == 6 and all(0 <= r <= 100 for r in robust + [clean])
    assert not re.search(r'\| (L2-SP|Bi-tuning) \| [\d.]+ \| [\d.]+ \|',
                         second.stdout)

    bad = run_python(args=args + ['--methods', 'L3-SP'])
    assert bad.returncode != 0 and "unknown method(s) ['L3-SP']" in bad.stdout


def read_png(path):
    with open(path, 'rb') as f:
        return f.read()


def drawn(top1, path):
    """The demo's figure of these numbers (48 labelled, 32 test images),
    as PNG bytes."""
    from mmctune.visualization import save_figure
    demo = load_tool('demo.py')
    return read_png(save_figure(demo.results_figure(top1, 48, 32), str(path)))


def test_prepare_from_gz_folder(tmp_path):
    raw = write_idx_fmnist(str(tmp_path / 'raw'), n_train=10, n_test=10)
    src = tmp_path / 'gz'
    src.mkdir()
    for f in FILES:
        with open(osp.join(raw, f), 'rb') as fin, \
                gzip.open(src / (f + '.gz'), 'wb') as fout:
            fout.write(fin.read())
    out = prepare(str(tmp_path / 'out'), src=str(src))
    for f in FILES:
        with open(osp.join(raw, f), 'rb') as a, open(osp.join(out, f),
                                                     'rb') as b:
            assert a.read() == b.read()


def test_prepare_says_how_to_get_the_data(tmp_path):
    with pytest.raises(
            FileNotFoundError, match='apt-get install '
            'dataset-fashion-mnist'):
        prepare(str(tmp_path / 'out'), src=str(tmp_path / 'nothing'))
    assert not os.listdir(tmp_path)


def test_demo_methods_come_from_the_model_index(capsys):
    """The demo's choices: every fine-tuning and adversarial method of the
    model index's setting fmnist (not Table 2's ablations), with its config,
    in the index's order; its default: the reference and the proposed
    method."""
    demo = load_tool('demo.py')
    table = setting_models(
        'fmnist', ('reference', 'baseline', 'proposed', 'adversarial'))
    assert list(demo.METHODS) == [m.in_collection for m in table]
    assert [m.config
            for m in demo.METHODS.values()] == [m.config for m in table]
    assert demo.DEFAULT_METHODS == ('CE-tuning', 'Core-tuning')
    assert '+mix' not in demo.METHODS
    assert demo.parse_args(['--methods', 'all']).methods == list(demo.METHODS)
    assert {'CE-tuning', 'Core-tuning', 'SCL (+L_con)',
            'AT-Core'} <= set(demo.METHODS)
    with pytest.raises(SystemExit):
        demo.parse_args(['--methods', 'L3-SP'])
    assert "unknown method(s) ['L3-SP']" in capsys.readouterr().err


def test_prepare_fashion_mnist_script(tmp_path):
    """tools/dataset_converters/prepare_fashion_mnist.py's command line
    (the demo's step 1)."""
    raw = write_idx_fmnist(str(tmp_path / 'raw'), n_train=10, n_test=10)
    for f in FILES:
        with open(osp.join(raw, f), 'rb') as fin, \
                gzip.open(osp.join(raw, f + '.gz'), 'wb') as fout:
            fout.write(fin.read())
    PREPARE.main(['--src', raw, '--out', str(tmp_path / 'out')])
    assert sorted(os.listdir(tmp_path / 'out')) == sorted(FILES)
    with pytest.raises(SystemExit, match='apt-get install'):
        PREPARE.main(
            ['--src',
             str(tmp_path / 'none'), '--out',
             str(tmp_path / 'out2')])
