from mmengine.model import is_model_wrapper


def unwrap_model(model):
    """The model inside mmengine's model wrappers (DDP, FSDP,
    ``MMDistributedDataParallel``, test-time augmentation), or ``model``
    itself: the one place mmctune unwraps a model."""
    while is_model_wrapper(model):
        model = model.module
    return model
