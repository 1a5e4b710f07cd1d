"""Confusion matrix of a classifier on its config's test split, from a
checkpoint (tested here, loaded strictly as ``tools/test.py`` loads it) or
from the predictions ``tools/test.py --out`` wrote; printed as numbers and
optionally plotted (as mmpretrain's
``tools/analysis_tools/confusion_matrix.py``).

    python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT \
        [--show-path cm.png] [--include-values] [--out cm.json]
    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG preds.pkl ...

Rows are the true classes, columns the predicted ones (the class of the
highest score, as top-1 accuracy counts it), so the accuracy printed is
``tools/test.py``'s ``accuracy/top1`` on the same images. Printed: that
accuracy, the matrix (up to 20 classes), the most frequent confusions,
and each class's recall and precision (up to 50 classes). ``--out``: a
``.json`` holds ``classes`` and ``matrix``; another extension gets the
matrix tensor as mmpretrain writes it (``mmengine.dump``).

A predictions file is a pickle: it is read with an unpickler that builds
only what ``tools/test.py --out`` writes (dicts, lists, tensors), so that a
file from elsewhere cannot run code; ``--trust-checkpoint`` reads a trusted
file in full. ``--cfg-options`` for ``val_dataloader`` / ``val_evaluator``
reach the test settings as in ``tools/test.py``.
"""
import argparse
import codecs
import collections
import io
import json
import os
import os.path as osp
import pickle
import sys

import matplotlib

matplotlib.use('Agg')
import mmengine
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.evaluation import ConfusionMatrix

from mmctune.apis import init_model
from mmctune.utils.cfg_check import (check_cfg_options,
                                     mirror_val_options_to_test)
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction

PREDICTION_EXTENSIONS = ('.pkl', '.pickle')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'config',
        help='the config the model was trained '
        'with (its test split is used)')
    parser.add_argument(
        'ckpt_or_result',
        help='a checkpoint, or the predictions (.pkl) of tools/test.py --out')
    parser.add_argument(
        '--out', help='write the matrix here (.json: classes and matrix)')
    parser.add_argument(
        '--show-path', help='write the plot of the matrix here (.png)')
    parser.add_argument(
        '--include-values',
        action='store_true',
        help='write the counts into the plot\'s cells')
    parser.add_argument(
        '--cmap', default='viridis', help='matplotlib colour map')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    add_trust_argument(parser)
    return parser.parse_args(argv)


def _storage_from_bytes(data):
    # torch pickles a tensor's storage as torch.save bytes; torch's own
    # ``_load_from_bytes`` reads them with weights_only=False
    return torch.load(io.BytesIO(data), weights_only=True)


#: what tools/test.py --out (mmengine's DumpResults) pickles
PREDICTION_GLOBALS = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
    ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
    ('_codecs', 'encode'): codecs.encode,
}


class _PredictionUnpickler(pickle.Unpickler):

    def find_class(self, module, name):
        if (module, name) in PREDICTION_GLOBALS:
            return PREDICTION_GLOBALS[(module, name)]
        raise pickle.UnpicklingError(
            f'{module}.{name}: the file asks to unpickle more than '
            'tools/test.py --out writes (dicts, lists, tensors)')


def load_predictions(path, trust=False):
    """The list of prediction dicts of ``tools/test.py --out``."""
    with open(path, 'rb') as f:
        try:
            data = pickle.load(f) if trust else _PredictionUnpickler(f).load()
        except pickle.UnpicklingError as error:
            raise pickle.UnpicklingError(
                f'{path} was not read: {error}. If you trust the file, '
                'pass --trust-checkpoint to read it in full') from None
    if not (isinstance(data, list) and data and isinstance(data[0], dict)
            and 'gt_label' in data[0]):
        raise ValueError(
            f'{path} does not hold the predictions of tools/test.py --out '
            '(a list of dicts with gt_label and pred_score); write them with '
            '`python tools/test.py CONFIG CHECKPOINT --out preds.pkl`')
    return data


def predict(cfg, checkpoint, device):
    """Test the checkpoint on the config's test split: ``(predictions as
    dicts, classes)``."""
    model, cfg = init_model(cfg, checkpoint, device=device)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    results = []
    with torch.no_grad():
        for data in loader:
            for sample in model.test_step(data):
                results.append(
                    dict(
                        gt_label=sample.gt_label.cpu(),
                        pred_score=sample.pred_score.cpu()))
    classes = model._dataset_meta.get('classes') or \
        loader.dataset.metainfo.get('classes')
    return results, classes


def dataset_classes(cfg):
    """The classes of the config's test dataset, read from the data (None
    if it cannot be built, e.g. its files are elsewhere)."""
    from mmctune.registry import DATASETS
    from mmctune.utils import register_all_modules
    register_all_modules()
    try:
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    except Exception as error:  # the plot then numbers the classes
        print(
            f'class names not found ({type(error).__name__}: {error}); '
            'numbering the classes',
            file=sys.stderr)
        return None
    return dataset.metainfo.get('classes')


def summary(cm, classes):
    """The printed numbers of a matrix (rows true, columns predicted)."""
    n = cm.size(0)
    names = [str(c) for c in classes] if classes and len(classes) == n \
        else [str(i) for i in range(n)]
    total = int(cm.sum())
    correct = int(cm.trace())
    lines = [
        f'{total} images, {n} classes; top-1 accuracy '
        f'{100 * correct / total:.2f}% ({correct} of {total})'
    ]
    if n <= 20:
        width = max(len(s) for s in names + [str(int(cm.max()))])
        lines.append('rows: true class, columns: predicted class')
        lines.append(' ' * width + ' | ' +
                     ' | '.join(s.rjust(width) for s in names))
        for name, row in zip(names, cm.tolist()):
            lines.append(
                name.rjust(width) + ' | ' +
                ' | '.join(str(v).rjust(width) for v in row))
    off = cm.clone()
    off.fill_diagonal_(0)
    pairs = [(int(off[i, j]), i, j) for i in range(n) for j in range(n)
             if off[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    if pairs:
        lines.append('most frequent confusions (true -> predicted: images):')
        lines += [f'  {names[i]} -> {names[j]}: {k}' for k, i, j in pairs[:10]]
    if n <= 50:
        lines.append('per class: recall (of its images), precision (of the '
                     'images predicted as it)')
        rows, cols = cm.sum(1), cm.sum(0)
        for i, name in enumerate(names):
            recall = f'{100 * cm[i, i] / rows[i]:.1f}%' if rows[i] else '-'
            precision = f'{100 * cm[i, i] / cols[i]:.1f}%' if cols[i] else '-'
            lines.append(f'  {name}: {recall}, {precision} '
                         f'({int(rows[i])} images)')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    for path in (args.config, args.ckpt_or_result):
        if not osp.isfile(path):
            sys.exit(f'{path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        mirror_val_options_to_test(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)

    if args.ckpt_or_result.endswith(PREDICTION_EXTENSIONS):
        predictions = load_predictions(args.ckpt_or_result,
                                       args.trust_checkpoint)
        classes = dataset_classes(cfg)
    else:
        predictions, classes = predict(cfg, args.ckpt_or_result, args.device)
    metric = ConfusionMatrix()
    metric.process(None, predictions)
    cm = metric.compute_metrics(metric.results)['result']
    print(summary(cm, classes))

    if args.out:
        if osp.dirname(args.out):
            os.makedirs(osp.dirname(args.out), exist_ok=True)
        if args.out.endswith('.json'):
            with open(args.out, 'w') as f:
                json.dump(
                    dict(
                        classes=list(classes) if classes else None,
                        matrix=cm.tolist()),
                    f,
                    indent=1)
        else:
            mmengine.dump(cm, args.out)
        print(f'matrix written to {args.out}')
    if args.show_path:
        fig = ConfusionMatrix.plot(
            cm,
            show=False,
            classes=list(classes) if classes else None,
            include_values=args.include_values,
            cmap=args.cmap)
        if osp.dirname(args.show_path):
            os.makedirs(osp.dirname(args.show_path), exist_ok=True)
        fig.savefig(args.show_path)
        print(f'plot written to {args.show_path}')
    return cm, classes


if __name__ == '__main__':
    main()
