import os
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmpretrain.apis import \
    ImageClassificationInferencer as _MMPretrainInferencer

from mmctune.models import build_model
from mmctune.models.utils import (extract_state_dict, load_state_dict_strict,
                                  train_only_prefixes)
from mmctune.registry import DATASETS
from mmctune.utils import register_all_modules, unwrap_model
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.checkpoint import load_checkpoint


def load_model_checkpoint(model,
                          checkpoint: str,
                          backbone_only: bool = False,
                          for_prediction: bool = False,
                          trust_checkpoint: bool = False) -> dict:
    """Load a checkpoint into a model, strictly: every key of the model (or
    of its backbone) must be found with its shape, or
    ``CheckpointMismatchError`` names the missing ones; unused checkpoint
    keys are listed in the log.

    mmengine's Runner loads ``load_from`` non-strictly (mmctune's Runner
    does not), so a checkpoint that does not fit would be tested as random
    weights; the tools call this instead.

    Args:
        backbone_only (bool): Load the checkpoint's ``backbone.`` weights
            into ``model.backbone``: for the encoder's features, from a
            fine-tuned classifier or a pre-training checkpoint (SimCLR,
            MoCo, ...) alike. The model's neck must hold no parameters.
        for_prediction (bool): The model will only predict (``tools/test.py``,
            :func:`init_model`): the parts it does not use to predict (its
            modules' ``TRAIN_ONLY``: a projector, a reference model, a
            momentum encoder) may be missing from the checkpoint, e.g. a
            CE-tuned checkpoint tested with a Core-tuning config. A missing
            key of the predicting parts means the checkpoint comes from
            another model: the error says to use that model's config.
        trust_checkpoint (bool): Load the file in full if it holds Python
            objects that loading it safely refuses, with a warning:
            unpickling them runs code from the file
            (:mod:`mmctune.utils.checkpoint`). Defaults to False.

    Returns:
        dict: the checkpoint's ``meta`` (``{}`` when it has none); a
        checkpoint saved by the Runner holds ``dataset_meta`` (the classes).
    """
    model = unwrap_model(model)
    ckpt = load_checkpoint(checkpoint, trust_checkpoint=trust_checkpoint)
    if backbone_only:
        neck = getattr(model, 'neck', None)
        if neck is not None and any(True for _ in neck.parameters()):
            raise ValueError(f'{type(neck).__name__} has parameters: load '
                             'the whole model, not the backbone only')
        load_state_dict_strict(
            model.backbone,
            extract_state_dict(ckpt, 'backbone.'),
            source=checkpoint)
    elif for_prediction:
        load_state_dict_strict(
            model,
            extract_state_dict(ckpt),
            source=checkpoint,
            may_miss=train_only_prefixes(model),
            hint='The checkpoint was trained with another model than this '
            'config builds: test it with the config it was trained with '
            '(its work dir holds a copy), or one whose backbone and head '
            'match it.')
    else:
        load_state_dict_strict(
            model, extract_state_dict(ckpt), source=checkpoint)
    print_log(
        f'loaded {"the backbone of " if backbone_only else ""}{checkpoint}',
        logger='current')
    return ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}


def init_model(config,
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               backbone_only: bool = False,
               trust_checkpoint: bool = False):
    """Build the model of a config and load a checkpoint strictly (see
    :func:`load_model_checkpoint`). Returns ``(model, cfg)``; the model is
    in eval mode.

    As mmpretrain's ``get_model`` does, the model keeps its config
    (``model._config``) and the classes it was trained on
    (``model._dataset_meta``: the checkpoint's ``dataset_meta``, else the
    test dataset's declared classes), so that mmpretrain's
    ``ImageClassificationInferencer(model)`` accepts it. For images, use
    :class:`ImageClassificationInferencer` of this module: it gives the
    model its images in the channel order its data were in.

    ``trust_checkpoint``: see :func:`load_model_checkpoint`.
    """
    register_all_modules()
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    model = build_model(cfg)  # the checkpoint replaces pre-training
    meta = {}
    if checkpoint is not None:
        meta = load_model_checkpoint(
            model,
            checkpoint,
            backbone_only,
            for_prediction=True,
            trust_checkpoint=trust_checkpoint)
    dataset_meta = dict(meta.get('dataset_meta') or {})
    if not dataset_meta.get('classes'):
        classes = _declared_classes(cfg)
        if classes:
            dataset_meta['classes'] = classes
    model._config = cfg
    model._dataset_meta = dataset_meta
    model.to(device)
    model.eval()
    return model, cfg


def _test_dataset_cfg(cfg) -> dict:
    """The innermost dataset of the config's test (else val) dataloader."""
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    dataset = loader.get('dataset', {})
    while isinstance(dataset.get('dataset'), dict):  # dataset wrappers
        dataset = dataset['dataset']
    return dataset


def _declared_classes(cfg) -> Optional[tuple]:
    """The classes the config's test dataset declares without reading data
    (its ``metainfo``, its ``classes`` list or its class's ``METAINFO``);
    None if it does not."""
    dataset = _test_dataset_cfg(cfg)
    classes = (dataset.get('metainfo') or {}).get('classes')
    if not classes and isinstance(dataset.get('classes'), (list, tuple)):
        classes = dataset['classes']  # mmpretrain datasets' ``classes=``
    if classes:
        return tuple(classes)
    try:
        cls = DATASETS.get(dataset.get('type', ''))
    except Exception:  # an unknown type: the test says so when it builds
        return None
    classes = getattr(cls, 'METAINFO', {}).get('classes')
    return tuple(classes) if classes else None


def _inner_type(cfg_type) -> str:
    name = cfg_type if isinstance(cfg_type, str) else cfg_type.__name__
    return name.split('.')[-1]


#: The arrays the in-memory datasets hold (they have no file-loading step):
#: ``rgb`` (H, W, 3) or ``grey`` (H, W), as mmpretrain's datasets give them.
IN_MEMORY_FORMATS = {
    'CIFAR10': 'rgb',
    'CIFAR100': 'rgb',
    'MNIST': 'grey',
    'FashionMNIST': 'grey',
}

INPUT_FORMATS = ('bgr', 'rgb', 'grey')


def model_input_format(cfg) -> str:
    """What the config's test pipeline gives its first transform: ``'bgr'``
    (it reads files with ``LoadImageFromFile``, OpenCV's order), or, for an
    in-memory dataset, the arrays of :data:`IN_MEMORY_FORMATS` (``'rgb'``,
    ``'grey'``). Raises ``ValueError`` for an in-memory dataset it does not
    know, naming the argument that tells it."""
    dataset = _test_dataset_cfg(cfg)
    for step in dataset.get('pipeline', []):
        if _inner_type(step.get('type', '')) == 'LoadImageFromFile':
            return ('grey' if step.get('color_type') == 'grayscale' else 'bgr')
    name = _inner_type(dataset.get('type', ''))
    if name in IN_MEMORY_FORMATS:
        return IN_MEMORY_FORMATS[name]
    raise ValueError(
        f'the test pipeline of this config reads no files and its dataset '
        f'{name!r} is not one mmctune knows the arrays of '
        f'({", ".join(IN_MEMORY_FORMATS)}): pass input_format= one of '
        f'{INPUT_FORMATS} (tools/infer.py --input-format), the order of '
        'the arrays the dataset gave the model in training')


def to_model_input(image, input_format: str):
    """An image as the config's dataset would give it: ``image`` is a file
    path (read with OpenCV, as ``LoadImageFromFile`` does) or an RGB array,
    (H, W, 3) uint8 as PIL and torchvision give, or a grey (H, W) array;
    the result is in ``input_format`` (see :func:`model_input_format`)."""
    if input_format not in INPUT_FORMATS:
        raise ValueError(f'input_format must be one of {INPUT_FORMATS}, '
                         f'not {input_format!r}')
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'no image file {path}')
        flag = 'grayscale' if input_format == 'grey' else 'color'
        order = 'bgr' if input_format == 'bgr' else 'rgb'
        try:
            img = mmcv.imread(path, flag=flag, channel_order=order)
        except Exception as err:  # OpenCV's assertion on an empty decode
            raise ValueError(
                f'{path} could not be read as an image ({err})') from None
        if img is None:
            raise ValueError(f'{path} could not be read as an image')
        return img
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:  # grey
        if input_format == 'grey':
            return img
        return np.ascontiguousarray(np.repeat(img[..., None], 3, axis=2))
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError('an image array must be (H, W, 3) RGB or (H, W) '
                         f'grey, not of shape {img.shape}')
    if input_format == 'rgb':
        return img
    if input_format == 'bgr':
        return np.ascontiguousarray(img[..., ::-1])
    return mmcv.rgb2gray(img)


class ImageClassificationInferencer(_MMPretrainInferencer):
    """mmpretrain's ``ImageClassificationInferencer`` for mmctune's configs
    and checkpoints, with the same calls and results (``pred_label``,
    ``pred_score``, ``pred_scores``, ``pred_class``).

    Two things differ, both so that an image gets the prediction the model
    was trained to give:

    - ``model`` may be a config (path or ``Config``) with ``pretrained`` a
      checkpoint path: it is built by :func:`init_model` (mmctune's scope,
      strict loading, classes from the checkpoint).
    - An image is a file path or an **RGB** array (H, W, 3), or a grey
      (H, W) array, and it reaches the test pipeline as the config's
      dataset gave images in training (:func:`model_input_format`): BGR for
      the file-reading configs, RGB arrays for CIFAR, grey for
      Fashion-MNIST. (mmpretrain's inferencer reads files as BGR and passes
      arrays on unchanged, which swaps the colours of a CIFAR-config model
      and of a file-config model given an RGB array.) ``input_format``
      overrides the detected order.

    ``trust_checkpoint``: see :func:`load_model_checkpoint`.
    """

    def __init__(self,
                 model,
                 pretrained: Optional[str] = None,
                 device: str = 'cpu',
                 classes=None,
                 input_format: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 trust_checkpoint: bool = False) -> None:
        if not isinstance(model, BaseModel):
            model, _ = init_model(
                model,
                pretrained,
                device=device,
                cfg_options=cfg_options,
                trust_checkpoint=trust_checkpoint)
        elif pretrained is not None:
            load_model_checkpoint(
                model,
                pretrained,
                for_prediction=True,
                trust_checkpoint=trust_checkpoint)
        if not hasattr(model, '_config'):
            raise ValueError(
                'the model has no config (model._config): build it with '
                'mmctune.apis.init_model(config, checkpoint), or pass the '
                'config path')
        if input_format is not None and input_format not in INPUT_FORMATS:
            raise ValueError(f'input_format must be one of {INPUT_FORMATS}, '
                             f'not {input_format!r}')
        self.input_format = input_format or model_input_format(model._config)
        super().__init__(model, pretrained=False, device=None, classes=classes)

    def __call__(self,
                 inputs,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 progress: bool = True,
                 **kwargs):
        """As mmpretrain's; ``progress=False`` leaves out the progress bar
        (for output that goes to a file or a pipe)."""
        if progress:
            return super().__call__(
                inputs, return_datasamples, batch_size=batch_size, **kwargs)
        preprocess_kwargs, forward_kwargs, visualize_kwargs, \
            postprocess_kwargs = self._dispatch_kwargs(**kwargs)
        ori_inputs = self._inputs_to_list(inputs)
        preds = []
        for data in self.preprocess(
                ori_inputs, batch_size=batch_size, **preprocess_kwargs):
            preds.extend(self.forward(data, **forward_kwargs))
        visualization = self.visualize(ori_inputs, preds, **visualize_kwargs)
        return self.postprocess(preds, visualization, return_datasamples,
                                **postprocess_kwargs)

    def preprocess(self, inputs, batch_size: int = 1):

        def load_image(input_):
            img = to_model_input(input_, self.input_format)
            return dict(
                img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])

        pipeline = Compose([load_image, self.pipeline])
        chunked = self._get_chunk_data(map(pipeline, inputs), batch_size)
        yield from map(default_collate, chunked)


def inference_model(model, images, **kwargs):
    """Classify one image (a path or an RGB array) or a list of them with a
    model from :func:`init_model` (or a config path, with
    ``pretrained=CHECKPOINT`` among ``kwargs``); returns the result dict
    (a list of them for a list), as mmpretrain's ``inference_model``."""
    inferencer = ImageClassificationInferencer(model, **kwargs)
    single = not isinstance(images, (list, tuple))
    results = inferencer(images if not single else [images], progress=False)
    return results[0] if single else results
