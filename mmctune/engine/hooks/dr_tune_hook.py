"""DR-Tune's queues filled before training (its warm-up)."""
import inspect
from typing import List

import torch
from mmengine.dist import all_reduce, get_world_size

from mmctune.models.classifiers import DRTuneClassifier
from mmctune.models.utils import labels_of
from mmctune.registry import HOOKS
from .prepare_hook import PrepareOnceHook


@HOOKS.register_module()
class DRTuneQueueHook(PrepareOnceHook):
    """Fill :class:`~mmctune.models.classifiers.DRTuneClassifier`'s queues
    before training, as the official code's ``warm_up``: the frozen
    pre-trained encoder's features of the first ``K // batch + 2`` training
    batches (the model in eval mode) enter both queues, the downstream one
    included (the fine-tuned encoder starts as the pre-trained one). With
    ``W`` processes every rank's batch enters the queues at each step, so
    each rank reads ``K // (batch * W) + 2`` batches and the queue is
    counted against all ranks' images together. A
    :class:`PrepareOnceHook`: skipped when the queues are filled
    (``queue_ready``; a resumed run restores them from the checkpoint), and
    the batches it reads leave the global generators as they were.
    """

    @staticmethod
    def _drtune(model) -> DRTuneClassifier:
        if not isinstance(model, DRTuneClassifier):
            raise TypeError(
                'DRTuneQueueHook fills the queues of a DRTuneClassifier; the '
                f'model is a {type(model).__name__}')
        return model

    @classmethod
    def fit_to_images(cls, hook_cfg: dict, cfg, images: int) -> List[str]:
        """A queue of at most ``images`` features (the warm-up fills it
        from the training images)."""
        model = cfg.get('model') or {}
        default = inspect.signature(
            DRTuneClassifier).parameters['queue_size'].default
        if model.get('queue_size', default) <= images:
            return []
        model['queue_size'] = images
        return [f'a DR-Tune queue of {images}']

    def is_prepared(self, runner) -> bool:
        return bool(self._drtune(self.model_of(runner)).queue_ready)

    def mark_prepared(self, model, num_images=None) -> None:
        """Random unit features and cycling labels in the queues."""
        model = self._drtune(model)
        g = torch.Generator().manual_seed(0)
        feats = torch.nn.functional.normalize(
            torch.randn(model.pre_queue.shape, generator=g), dim=1)
        model.pre_queue.copy_(feats)
        model.down_queue.copy_(feats)
        model.label_queue.copy_(
            torch.arange(model.queue_size) % model.head.fc.out_features)
        model.queue_ready.fill_(True)

    def prepare(self, runner) -> None:
        model = self._drtune(self.model_of(runner))
        loader = runner.train_dataloader
        world_size = get_world_size()
        num_batches = model.queue_size // (loader.batch_size * world_size) + 2
        was_training = model.training
        model.eval()
        seen = 0
        with torch.no_grad():
            for i, data in enumerate(loader):
                if i >= num_batches:
                    break
                data = model.data_preprocessor(data, training=False)
                pre = model.pretrained_features(data['inputs'])
                labels = labels_of(data['data_samples'], pre.device)
                model.enqueue(pre, pre, labels)
                seen += len(labels)
        model.train(was_training)
        if world_size > 1:  # every rank's images entered the queues
            counted = torch.tensor(seen, device=model.queue_ptr.device)
            all_reduce(counted)
            seen = int(counted)
        if seen < model.queue_size:
            raise ValueError(
                f'DRTuneQueueHook: the training set gave {seen} images for a '
                f'queue of {model.queue_size}: set the model\'s queue_size '
                f'to at most {seen} (--cfg-options model.queue_size={seen})')
        model.queue_ready.fill_(True)
        runner.logger.info(
            f'DR-Tune: queues filled with the pre-trained features of {seen} '
            f'training images ({min(i + 1, num_batches)} batches)')
