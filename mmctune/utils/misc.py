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
