"""Hooks of the fine-tuning baselines: RIFLE, Noisy-Tune and DELTA's
channel attention, each a preparation of :mod:`.prepare_hook`'s protocol."""
from typing import Optional, Sequence

import torch
from mmengine.model import initialize

from mmctune.models.classifiers import RegularizedClassifier
from mmctune.models.regularizers import DELTARegularizer
from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model
from .prepare_hook import PrepareHook, PrepareOnceHook
from .stage_switch_hook import get_path


@HOOKS.register_module()
class RIFLEHook(PrepareHook):
    """RIFLE (Li et al., "RIFLE: Backpropagation in Depth for Deep Transfer
    Learning through Re-Initializing the Fully-connected LayEr", ICML 2020):
    re-initialise the classifier every ``interval`` epochs, so its fresh
    random gradients keep reaching the lower layers.

    Before epoch ``e`` the layer is re-initialised when ``e > 0``,
    ``e % interval == 0`` and ``e <= end`` (default ``max_epochs -
    interval``: the last ``interval`` epochs train the final classifier
    undisturbed). Its optimizer state (momentum) is cleared with it. The new
    weights come from a generator seeded with ``seed + e``, so a run resumed
    at any epoch re-initialises exactly as the uninterrupted run. (A
    :class:`PrepareHook` whose state is the weights: nothing to mark or to
    fit to fewer images.)

    Args:
        interval (int): Epochs between re-initialisations.
        end (int, optional): Last epoch that may re-initialise.
        module (str): Dotted path of the layer in the model. Defaults to
            ``'head.fc'``.
        init_cfg (dict): mmengine initialisation of the layer. Defaults to
            mmpretrain ``LinearClsHead``'s ``Normal(std=0.01)``.
        seed (int, optional): Defaults to the run's seed.
    """
    priority = 'NORMAL'

    def __init__(self,
                 interval: int,
                 end: Optional[int] = None,
                 module: str = 'head.fc',
                 init_cfg: dict = dict(
                     type='Normal', layer='Linear', std=0.01),
                 seed: Optional[int] = None):
        if interval < 1:
            raise ValueError(f'RIFLEHook: interval must be >= 1, got '
                             f'{interval}')
        self.interval = interval
        self.end = end
        self.module = module
        self.init_cfg = init_cfg
        self.seed = seed

    def reinit_epochs(self, max_epochs: int) -> list:
        end = self.end if self.end is not None else max_epochs - self.interval
        return [e for e in range(self.interval, end + 1, self.interval)]

    def before_train_epoch(self, runner) -> None:
        epoch = runner.epoch
        if epoch not in self.reinit_epochs(runner.max_epochs):
            return
        layer = get_path(unwrap_model(runner.model), self.module)
        seed = (self.seed if self.seed is not None else runner.seed) or 0
        params = list(layer.parameters())
        devices = sorted(
            {p.device.index
             for p in params if p.device.type == 'cuda'})
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed + epoch)
            initialize(layer, self.init_cfg)
        optimizer = runner.optim_wrapper.optimizer
        for param in params:
            optimizer.state.pop(param, None)
        runner.logger.info(f'RIFLE: re-initialised {self.module} before '
                           f'epoch {epoch}')


@HOOKS.register_module()
class NoisyTuneHook(PrepareOnceHook):
    r"""Noisy-Tune (Wu et al., "NoisyTune: A Little Noise Can Help You
    Finetune Pretrained Language Models Better", ACL 2022): before
    fine-tuning, perturb each pre-trained parameter matrix by uniform noise
    scaled by its own standard deviation,

    .. math::
        \tilde W = W + U\left(-\frac{\lambda}{2}, \frac{\lambda}{2}\right)
                   \cdot \mathrm{std}(W)

    (:math:`\lambda = 0.15` as the paper). A :class:`PrepareOnceHook` whose
    state is the weights: only at the start of a run (iteration 0); a
    resumed run already has the perturbed weights. Every rank draws the
    same noise (one seeded generator), so replicas agree. Parameters with a
    single element are left alone (no std).

    Args:
        noise_lambda (float): :math:`\lambda`. Defaults to 0.15.
        modules (Sequence[str]): Dotted paths of the pre-trained parts.
            Defaults to ``('backbone', )``.
        seed (int, optional): Defaults to the run's seed.
    """
    priority = 'VERY_HIGH'  # before any other hook reads the weights

    def __init__(self,
                 noise_lambda: float = 0.15,
                 modules: Sequence[str] = ('backbone', ),
                 seed: Optional[int] = None):
        self.noise_lambda = noise_lambda
        self.modules = list(modules)
        self.seed = seed

    @torch.no_grad()
    def perturb(self, model, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        for path in self.modules:
            for param in get_path(model, path).parameters():
                if param.numel() < 2:
                    continue
                noise = torch.rand(param.shape, generator=gen) - 0.5
                scale = self.noise_lambda * param.float().std()
                param.add_((noise.to(param.device) * scale).to(param.dtype))

    def mark_prepared(self, model, num_images=None) -> None:
        """The perturbed weights (the hook's seed, else 0)."""
        self.perturb(model, self.seed or 0)

    def is_prepared(self, runner) -> bool:
        return runner.iter > 0  # a resumed run's weights are perturbed

    def prepare(self, runner) -> None:
        seed = (self.seed if self.seed is not None else runner.seed) or 0
        self.perturb(self.model_of(runner), seed)
        runner.logger.info(f'Noisy-Tune: perturbed {self.modules} with '
                           f'lambda={self.noise_lambda}')


@HOOKS.register_module()
class DELTAAttentionHook(PrepareOnceHook):
    """Compute DELTA's channel attention before training
    (:meth:`~mmctune.models.regularizers.DELTARegularizer.compute_attention`)
    from the first ``num_batches`` training batches (tllib's
    ``--attention-iteration-limit``, 10). A :class:`PrepareOnceHook`:
    skipped when the attention is already there (``attention_ready``; a
    resumed run restores it from the checkpoint).

    Args:
        num_batches (int): Training batches to measure on. Defaults to 10.
    """

    def __init__(self, num_batches: int = 10):
        if num_batches < 1:
            raise ValueError(f'num_batches must be >= 1, got {num_batches}')
        self.num_batches = num_batches

    @staticmethod
    def _regularizers(model) -> list:
        """The DELTA regularisers of ``model`` that use the attention."""
        if not isinstance(model, RegularizedClassifier):
            return []
        return [
            reg for reg in model.regularizers
            if isinstance(reg, DELTARegularizer) and reg.attention
        ]

    def mark_prepared(self, model, num_images=None) -> None:
        """The attention marked computed (its uniform initial values)."""
        for reg in self._regularizers(model):
            reg.attention_ready.fill_(True)

    def is_prepared(self, runner) -> bool:
        return all(
            bool(reg.attention_ready)
            for reg in self._regularizers(self.model_of(runner)))

    def prepare(self, runner) -> None:
        model = self.model_of(runner)
        regs = [
            reg for reg in self._regularizers(model)
            if not bool(reg.attention_ready)
        ]
        batches = []
        for i, data in enumerate(runner.train_dataloader):
            if i >= self.num_batches:
                break
            data = model.data_preprocessor(data, training=False)
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            batches.append((data['inputs'], labels.to(data['inputs'].device)))
        runner.logger.info(f'DELTA: computing the channel attention on '
                           f'{len(batches)} batches')
        for reg in regs:
            reg.compute_attention(model, batches)
