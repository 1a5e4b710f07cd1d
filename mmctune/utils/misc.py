import contextlib

from mmengine.model import is_model_wrapper


def unwrap_model(model):
    """The model inside mmengine's model wrappers (DDP, FSDP,
    ``MMDistributedDataParallel``, test-time augmentation), or ``model``
    itself: the one place mmctune unwraps a model."""
    while is_model_wrapper(model):
        model = model.module
    return model


def silence_known_warnings() -> None:
    """Leave out of the tools' output the warnings that other libraries
    give on every run and that no user can act on:

    - mmpretrain's MNIST / Fashion-MNIST reader makes tensors of read-only
      arrays (torch's "The given NumPy array is not writable"); it never
      writes to them.

    Called by ``tools/train.py`` and ``tools/test.py`` (not on import)."""
    import warnings
    warnings.filterwarnings(
        'ignore',
        message='The given NumPy array is not writable',
        category=UserWarning,
        module=r'mmpretrain\.datasets\.mnist')


def init_weights_quietly(model) -> None:
    """``model.init_weights()`` without mmengine's per-parameter report on
    the console (hundreds of lines when no log file is open)."""
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def seeded_rng(seed: int):
    """torch's generators (CPU and CUDA) seeded with ``seed`` inside the
    block and put back as they were after it."""
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield


def init_weights_seeded(model, seed: int) -> None:
    """``model.init_weights()`` drawing from torch's generators seeded with
    ``seed``, then put back as they were.

    A model is built before it is initialised, and building draws random
    numbers (every ``nn.Linear`` and convolution initialises itself): a
    method that builds one more part (Core-tuning's projector, a reference
    copy) would move the generator, and at the same seed its backbone (if
    not pre-trained) and classifier would start elsewhere than CE-tuning's.
    Seeded here, every method's shared parts, initialised first (the
    backbone, then the head's classifier), start the same at a seed;
    comparisons paired by seed are paired at initialisation.
    """
    with seeded_rng(seed):
        model.init_weights()
