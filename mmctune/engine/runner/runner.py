"""mmctune's Runner: mmengine's, with a console that shows what a person
needs and a log file that keeps everything."""
import copy
import logging
import os.path as osp

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner as _MMEngineRunner
from mmengine.runner.checkpoint import _load_checkpoint

from mmctune.models.utils import (extract_state_dict, load_state_dict_strict,
                                  train_only_prefixes)
from mmctune.registry import RUNNERS
from mmctune.utils.misc import seeded_rng

#: Messages that go to the log file but not to the console: mmengine's
#: environment, config and hook-order dumps (about 300 lines before the
#: first iteration), its line per parameter of a ``paramwise_cfg`` (one for
#: each parameter and setting: about 500 for a ResNet-50), its SyncBN note,
#: and its deprecation notes about its own FileClient, which every run
#: triggers and no user can act on.
FILE_ONLY_PREFIXES = (
    '\n' + '-' * 60 + '\nSystem environment:',
    'Config:\n',
    'Hooks will be executed in the following order',
    'paramwise_options -- ',
    'Distributed training is not used, all SyncBatchNorm',
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)


class FileOnlyFilter(logging.Filter):
    """Keeps the records that start with one of ``prefixes`` off the handler
    it is added to."""

    def __init__(self, prefixes=FILE_ONLY_PREFIXES):
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


class RunSummaryHook(Hook):
    """Logs the data a run uses: samples, batch and iterations of the
    training set, samples of the validation and test sets."""
    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        text = (f'data: train {len(loader.dataset)} samples, batch '
                f'{loader.batch_size} per process, {len(loader)} '
                'iterations per epoch')
        val_loop = runner._val_loop
        if val_loop is not None and hasattr(val_loop, 'dataloader'):
            text += f'; val {len(val_loop.dataloader.dataset)} samples'
        runner.logger.info(text)

    def before_test(self, runner) -> None:
        loader = runner.test_loop.dataloader
        runner.logger.info(f'data: test {len(loader.dataset)} samples')


class FormatOnceConfig(Config):
    """A ``Config`` that formats its text once for each content.

    mmengine's ``Config.pretty_text`` formats the config with yapf each time
    it is read, and a run reads it in its log, in each config copy and in
    every checkpoint's ``meta`` (about 0.2 s each for the demo's config,
    half of a tiny run's own time). Here the formatted text is kept with
    the unformatted text it came from and reused while that is the same,
    so it always equals mmengine's; any edit of the config formats anew.
    """

    @property
    def pretty_text(self) -> str:
        if not self._format_python_code:
            return super().pretty_text
        # the text before formatting: mmengine's, with formatting off
        super(Config, self).__setattr__('_format_python_code', False)
        try:
            raw = super().pretty_text
        finally:
            super(Config, self).__setattr__('_format_python_code', True)
        cached = self.__dict__.get('_formatted')
        if cached is None or cached[0] != raw:
            cached = (raw, super().pretty_text)
            super(Config, self).__setattr__('_formatted', cached)
        return cached[1]

    @classmethod
    def of(cls, cfg: Config) -> 'FormatOnceConfig':
        """``cfg``'s content (shared, not copied) in this class."""
        new = cls.__new__(cls)
        new.__setstate__(cfg.__getstate__())
        return new


def _data_root_key(dataset_cfg, prefix='dataset'):
    """The key of ``data_root`` under a loader's ``dataset`` (wrappers such
    as a label fraction hold the dataset one level down)."""
    if 'data_root' in dataset_cfg:
        return f'{prefix}.data_root'
    inner = dataset_cfg.get('dataset')
    if isinstance(inner, dict):
        return _data_root_key(inner, f'{prefix}.dataset')
    return None


def missing_data_message(loader_cfg, error: FileNotFoundError) -> str:
    """What a run that lacks a dataset file is told: the file, the dataset
    and its ``data_root``, and the two ways to fix it."""
    dataset = loader_cfg.get('dataset', {})
    kind = dataset.get('type', 'the dataset') if isinstance(dataset, dict) \
        else type(dataset).__name__
    key = _data_root_key(dataset) if isinstance(dataset, dict) else None
    root, inner = None, dataset
    while isinstance(inner, dict) and root is None:
        root = inner.get('data_root')
        inner = inner.get('dataset')
    where = f' (data_root {root!r})' if root is not None else ''
    msg = (f'{kind}{where}: {error.filename} does not exist. Prepare the '
           'dataset as docs/data_preparation.md says (its table gives each '
           "config's folder and layout)")
    if key is not None:
        options = ' '.join(f'{loader}_dataloader.{key}=PATH'
                           for loader in ('train', 'val', 'test'))
        msg += (", or point the config's loaders at a copy you have: "
                f'--cfg-options {options}')
    return msg + '.'


@RUNNERS.register_module()
class Runner(_MMEngineRunner):
    """mmengine's ``Runner`` with a quieter console, used by
    ``tools/train.py`` and ``tools/test.py`` unless a config names its own
    ``runner_type``.

    The log file (``<work_dir>/<timestamp>/<timestamp>.log``) gets every
    message, as with mmengine's Runner. The console leaves out
    :data:`FILE_ONLY_PREFIXES` (the environment, the config and the hook
    order: one line says where they are) and gains the data sizes
    (:class:`RunSummaryHook`). ``log_verbose = True`` in a config, or
    ``--verbose`` of the tools, keeps mmengine's full console.

    ``test()`` after ``train()`` in the same runner (the demo, the sweeps)
    tests an ``EMAHook``'s averaged weights, as ``tools/test.py`` does.

    Config copies: every run writes the config it ran (all options applied)
    beside its log, ``<work_dir>/<timestamp>/<config>.py``; only training
    writes ``<work_dir>/<config>.py``, the copy that trains the same run
    again: :attr:`experiment_cfg` if the caller set it (``tools/train.py``:
    the config with the user's options, before what it adapts to the
    machine: the batch per process, distributed settings, ``--resume``),
    else the run's config. A test of the run (``tools/test.py`` in the same
    work dir) leaves that copy alone.

    Checkpoints load strictly (``load_from``, ``resume``, a hook's
    ``load_checkpoint``): every key of the model must be in the checkpoint
    with its shape, except the parts not used to predict (``TRAIN_ONLY``:
    a projector, a reference model), which keep their initial values and
    are named in the log; otherwise ``CheckpointMismatchError`` before
    training. ``load_from_strict = False`` in the config loads the matching
    keys only and logs every key left out.
    """

    #: what ``train()`` writes as ``<work_dir>/<config>.py`` (None: the
    #: run's own config)
    experiment_cfg = None

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        logger = super().build_logger(log_level, log_file, **kwargs)
        if not self.cfg.get('log_verbose', False):
            for handler in logger.handlers:
                if (type(handler) is logging.StreamHandler and not any(
                        isinstance(f, FileOnlyFilter)
                        for f in handler.filters)):
                    handler.addFilter(FileOnlyFilter())
        return logger

    def __init__(self, *args, **kwargs):
        cfg = kwargs.get('cfg')
        if isinstance(cfg, Config) and not isinstance(cfg, FormatOnceConfig):
            # mmengine's __init__ deep-copies it, keeping the class
            kwargs['cfg'] = FormatOnceConfig.of(cfg)
        elif isinstance(cfg, dict):
            kwargs['cfg'] = FormatOnceConfig(cfg)
        super().__init__(*args, **kwargs)
        self.register_hook(RunSummaryHook())
        if not self.cfg.get('log_verbose', False):
            log_file = osp.join(self.log_dir, f'{self.timestamp}.log')
            config = (f'config {self.cfg.filename}; '
                      if self.cfg.filename else '')
            procs = ''
            if self.distributed:
                import torch.distributed as torch_dist
                procs = (f'{self.world_size} processes '
                         f'({torch_dist.get_backend()}); ')
            self.logger.info(f'{config}{procs}work dir {self.work_dir}; the '
                             'full config, the environment and the hook '
                             f'order are in {log_file}')

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's, with a dataset file that is not there named with the
        fix: a file a dataset class opens itself (mmpretrain's DTD, Pets,
        Aircraft, Flowers102) otherwise stops the run with a bare
        ``FileNotFoundError`` from deep in the class."""
        try:
            return _MMEngineRunner.build_dataloader(dataloader, seed,
                                                    diff_rank_seed)
        except FileNotFoundError as e:
            if e.filename is None or not isinstance(dataloader, dict):
                raise  # mmctune's datasets say what to do themselves
            raise FileNotFoundError(missing_data_message(dataloader, e)) \
                from e

    def _init_model_weights(self) -> None:
        """mmengine's, with torch's generators seeded with the run's seed
        (:func:`mmctune.utils.init_weights_seeded`): every method's backbone
        and classifier start the same at a given seed."""
        with seeded_rng(self.seed):
            super()._init_model_weights()

    def _config_name(self) -> str:
        return (osp.basename(self.cfg.filename)
                if self.cfg.filename is not None else f'{self.timestamp}.py')

    def dump_config(self) -> None:
        """The config this run ran, beside its log (mmengine writes it to
        the work dir, where a test run would replace the training copy)."""
        self.cfg.dump(osp.join(self.log_dir, self._config_name()))

    def train(self):
        cfg = self.experiment_cfg if self.experiment_cfg is not None \
            else self.cfg
        cfg.dump(osp.join(self.work_dir, self._config_name()))
        model = super().train()
        self._trained_here = True
        return model

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module.', '')]):
        """mmengine's ``load_checkpoint``, strict by default (see the class
        docstring); ``strict=False`` (or ``load_from_strict = False`` in the
        config) loads the matching keys and logs the others."""
        strict = strict and self.cfg.get('load_from_strict', True)
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        state_dict = extract_state_dict(checkpoint, revise_keys=revise_keys)
        if strict:
            load_state_dict_strict(
                model,
                state_dict,
                source=filename,
                may_miss=train_only_prefixes(model),
                hint='To load the keys that match and keep the others as '
                'initialised, set `load_from_strict = False` in the config '
                '(--cfg-options load_from_strict=False); the keys left out '
                'are then listed.')
        else:
            self._load_partly(model, state_dict, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _load_partly(self, model, state_dict, filename):
        own = model.state_dict()
        fits = {
            k: v
            for k, v in state_dict.items()
            if k in own and v.shape == own[k].shape
        }
        left = sorted(k for k in own if k not in fits)
        unused = sorted(k for k in state_dict if k not in fits)
        model.load_state_dict({**own, **fits}, strict=True)
        self.logger.warning(
            f'load_from_strict=False: {len(fits)} of the model\'s {len(own)} '
            f'keys loaded from {filename}; {len(left)} keep their initial '
            f'values: {", ".join(left) or "none"}; {len(unused)} keys of the '
            f'checkpoint unused: {", ".join(unused) or "none"}')

    def test(self) -> dict:
        """mmengine's ``test()``; after ``train()`` in this runner, the
        models of mmengine's ``EMAHook`` are tested with their averaged
        weights, as ``tools/test.py`` tests the checkpoint (whose
        ``state_dict`` holds the average).

        ``test()`` calls the hooks' ``before_run`` again, where ``EMAHook``
        builds a new average from the model's current weights: the test
        would then see the last trained weights, not their average, and an
        EMA run would score as the same run without EMA. So the average is
        loaded into the model first, and the trained weights are put back
        after the test.
        """
        from mmengine.hooks import EMAHook
        swapped = []
        if getattr(self, '_trained_here', False):
            for hook in self.hooks:
                if isinstance(hook, EMAHook) and getattr(
                        hook, 'ema_model', None) is not None:
                    trained = copy.deepcopy(hook.src_model.state_dict())
                    hook.src_model.load_state_dict(
                        hook.ema_model.module.state_dict())
                    swapped.append((hook.src_model, trained))
        try:
            return super().test()
        finally:
            for model, trained in swapped:
                model.load_state_dict(trained)
