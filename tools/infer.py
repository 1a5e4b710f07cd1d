# Classify image files with a trained model: class names and scores.
"""Classify image files (or every image in a folder) with a config and its
checkpoint; print the top classes with their scores, and optionally write
them to a JSON file.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] \
        [--topk 3] [--out preds.json]

The images are read as the config's dataset gave images to the model in
training (BGR files, CIFAR's RGB arrays, Fashion-MNIST's grey ones), so a
file gets the prediction of its RGB array through
``mmctune.apis.ImageClassificationInferencer`` (docs/get_started.md,
Inference).
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                    '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Classify images with a trained model')
    parser.add_argument(
        'config',
        help='the config the model was trained '
        'with (its work dir holds a copy)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'inputs',
        nargs='+',
        help='image files or folders (searched recursively)')
    parser.add_argument(
        '--topk', type=int, default=1, help='classes shown per image')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--input-format',
        choices=['bgr', 'rgb', 'grey'],
        help='the channel order the model was trained on; detected from '
        "the config's test dataset, needed only for one mmctune does not "
        'know')
    parser.add_argument('--out', help='write the results to this .json')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    add_trust_argument(parser)
    return parser.parse_args(argv)


def list_images(inputs):
    """The image files named or found (recursively, sorted) in the folders
    named; a missing path or a folder with no image is an error."""
    images = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(
                osp.join(root, name) for root, _, names in os.walk(item)
                for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise FileNotFoundError(
                    f'no image in {item} (looked for '
                    f'{", ".join(IMAGE_EXTENSIONS)} files)')
            images += found
        elif osp.isfile(item):
            images.append(item)
        else:
            raise FileNotFoundError(f'{item} not found')
    return images


def main(argv=None):
    args = parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    if args.topk < 1:
        raise ValueError('--topk must be at least 1')
    images = list_images(args.inputs)
    register_safe_loaders(trust=args.trust_checkpoint)

    from mmctune.apis import ImageClassificationInferencer
    inferencer = ImageClassificationInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        input_format=args.input_format,
        cfg_options=args.cfg_options)
    classes = inferencer.classes
    if classes is None:
        print(
            'the checkpoint and the config name no classes: showing '
            'class indices',
            file=sys.stderr)
    results = inferencer(
        images, batch_size=args.batch_size, progress=sys.stdout.isatty())

    records = []
    for path, result in zip(images, results):
        scores = np.asarray(result['pred_scores'])
        top = np.argsort(-scores, kind='stable')[:args.topk]
        preds = [
            dict(
                label=int(i),
                score=float(scores[i]),
                **({
                    'class': classes[i]
                } if classes is not None else {})) for i in top
        ]
        records.append(dict(image=path, top=preds))
        shown = ', '.join(f'{p.get("class", p["label"])} {p["score"]:.3f}'
                          for p in preds)
        print(f'{path}: {shown}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(records, f, indent=1)
        print(f'results written to {args.out}')
    return records


if __name__ == '__main__':
    main()
