"""TPGM, the Trainable Projected Gradient Method: after each training step,
the pre-trained weights projected into learned distances of their
pre-trained values, the distances learned on held-out labelled data.

Tian et al., "Trainable Projected Gradient Method for Robust Fine-tuning",
CVPR 2023 (official code: PotatoTian/TPGM, ``utils/tpgm.py``, whose ``TPGM``
and ``tpgm_trainer`` this reproduces; FTP,
:mod:`mmctune.engine.optimizers.ftp`, is its fast successor). The paper is
not among this repository's papers: the definitions and defaults below are
those of the official code.
"""
import copy
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model
from ..optimizers.ftp import _rows
from .random_state_hook import get_rng_state, set_rng_state

#: the checkpoint key of the hook's state
STATE_KEY = 'tpgm'


@HOOKS.register_module()
class TPGMHook(Hook):
    """TPGM's projection, after every training step.

    For each projected parameter :math:`w` (those under ``prefixes``, the
    pre-trained part; the head is trained from scratch and left free) with
    pre-trained value :math:`w_0` (its value when training starts),

    .. math::

        c = w - w_0, \\qquad
        n = \\lVert c \\rVert_{\\mathrm{row}}, \\qquad
        \\Pi_\\gamma(w) = w_0 + \\mathrm{hardtanh}_{[0, 1]}\\Bigl(
            \\frac{\\gamma}{n + 10^{-8}}\\Bigr)\\, c,

    one radius :math:`\\gamma` per tensor, the norm per output row
    (``norm='mars'``: the L1 norm of each row, a 1-d tensor one row, the
    official code's default) or of the whole tensor (``norm='l2'``).

    At the iterations whose index in the epoch is a multiple of
    ``proj_freq`` (every iteration by default, as the official runs), the
    radii first take ``max_iters`` Adam steps (learning rate ``lr``) on the
    cross-entropy of the projected model on a batch of the projection data
    (the model in eval mode, only the radii learn); then
    :math:`w \\leftarrow \\Pi_\\gamma(w)`. At the other iterations the
    weights are projected with the radii as they are. Before each use, a
    radius is clipped to :math:`[10^{-8}, \\max n]`; at its first use it
    starts at :math:`\\min n / 2`.

    The projection data is a labelled split held out from training (the
    official code uses the validation split): ``dataloader`` is its config
    (``dataset``, ``batch_size``, optionally ``collate_fn``). Its batches
    are drawn from the seed and the iteration, the same on every rank, and
    the radii are broadcast from rank 0, so every rank projects alike and a
    resumed run draws what the uninterrupted one drew. Drawing them leaves
    the global generators as they were (the training's batches are
    CE-tuning's). The pre-trained weights, the radii and their Adam state are
    saved in each checkpoint and restored on ``--resume``.

    Args:
        dataloader (dict): the projection data's loader config.
        prefixes (Sequence[str]): the parameters to project: those whose
            names (in the unwrapped model) start with one of these.
            Default ``('backbone',)``: everything but the head, as the
            official code's exclude list.
        norm (str): ``'mars'`` (per row, L1) or ``'l2'`` (per tensor).
            Default ``'mars'``.
        proj_freq (int): learn the radii every ``proj_freq`` iterations of
            an epoch, project with them at every iteration. Default 1.
        max_iters (int): the radii's Adam steps at each learning. Default 1.
        lr (float): the radii's Adam learning rate. Default 1e-2.
    """

    priority = 'ABOVE_NORMAL'  # before EMAHook averages the weights

    def __init__(self,
                 dataloader: dict,
                 prefixes: Sequence[str] = ('backbone', ),
                 norm: str = 'mars',
                 proj_freq: int = 1,
                 max_iters: int = 1,
                 lr: float = 1e-2):
        if not isinstance(dataloader, dict) or 'dataset' not in dataloader:
            raise ValueError(
                'TPGMHook: dataloader must be the projection data\'s loader '
                "config, e.g. dict(batch_size=128, dataset=dict(type="
                "'LabelFraction', split='val', ...)): a labelled split held "
                'out from training (docs/methods/tpgm.md)')
        unused = sorted(
            set(dataloader) - {'dataset', 'batch_size', 'collate_fn'})
        if unused:
            raise ValueError(
                f'TPGMHook: dataloader takes dataset, batch_size and '
                f'collate_fn; {unused} would be ignored: the projection '
                'batches are drawn by the hook (from the seed and the '
                'iteration) and read in the training process. Remove them')
        batch_size = dataloader.get('batch_size')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                'TPGMHook: dataloader.batch_size (the images of each '
                f'projection batch) must be an int >= 1, got {batch_size!r}')
        if norm not in ('mars', 'l2'):
            raise ValueError(
                f"TPGMHook: norm must be 'mars' or 'l2', got {norm!r}")
        for name, value in (('proj_freq', proj_freq), ('max_iters',
                                                       max_iters)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'TPGMHook: {name} must be an int >= 1, got {value!r}')
        if lr <= 0:
            raise ValueError(f'TPGMHook: lr must be > 0, got {lr}')
        if isinstance(prefixes, str):
            prefixes = (prefixes, )
        self.dataloader_cfg = copy.deepcopy(dict(dataloader))
        self.prefixes = tuple(prefixes)
        self.norm = norm
        self.proj_freq = proj_freq
        self.max_iters = max_iters
        self.lr = lr
        self.anchors: Optional[dict] = None
        self.radii: Optional[dict] = None
        self.optimizer: Optional[torch.optim.Adam] = None
        self.started = False
        self._loaded: Optional[dict] = None
        self._data = None

    # -- the parameters and the projection ---------------------------------

    def projected(self, model) -> dict:
        """``{name: parameter}`` of the trainable parameters TPGM projects."""
        return {
            name: p
            for name, p in model.named_parameters()
            if p.requires_grad and any(name == k or name.startswith(k + '.')
                                       for k in self.prefixes)
        }

    def norms(self, delta: torch.Tensor) -> torch.Tensor:
        """Each row's L1 norm (``'mars'``, kept dims) or the tensor's L2
        norm (``'l2'``) of ``delta``."""
        if self.norm == 'l2':
            return torch.linalg.vector_norm(delta)
        return delta.abs().sum(dim=_rows(delta), keepdim=True)

    def _ratios(self, params: dict) -> dict:
        """Each parameter's projection ratio, differentiable in its radius;
        a radius is started (first use) and clipped in place first."""
        out = {}
        for name, p in params.items():
            radius = self.radii[name]
            norms = self.norms(p.detach() - self.anchors[name])
            with torch.no_grad():
                if not self.started:
                    radius.copy_(norms.min() / 2)
                radius.copy_(radius.clamp(1e-8, float(norms.max())))
            out[name] = F.hardtanh(radius / (norms + 1e-8), 0.0, 1.0)
        self.started = True
        return out

    def _projection(self, params: dict, ratios: dict) -> dict:
        return {
            name:
            self.anchors[name] +
            (p.detach() - self.anchors[name]) * ratios[name]
            for name, p in params.items()
        }

    @torch.no_grad()
    def project(self, model) -> None:
        """:math:`w \\leftarrow \\Pi_\\gamma(w)` with the radii as they
        are."""
        params = self.projected(model)
        for name, value in self._projection(params,
                                            self._ratios(params)).items():
            params[name].copy_(value)

    def learn_radii(self, model, runner, iteration: int) -> None:
        """``max_iters`` Adam steps of the radii on the projected model's
        cross-entropy on batches of the projection data."""
        from mmctune.models.utils import labels_of
        params = self.projected(model)
        was_training = model.training
        model.eval()
        try:
            for k in range(self.max_iters):
                data = self._batch(model, runner,
                                   iteration * self.max_iters + k)
                with torch.enable_grad():
                    ratios = self._ratios(params)
                    logits = torch.func.functional_call(
                        model, self._projection(params, ratios),
                        (data['inputs'], ), dict(mode='tensor'))
                    labels = labels_of(data['data_samples'], logits.device)
                    self._check_logits(logits, labels)
                    loss = F.cross_entropy(logits, labels)
                    names = list(params)
                    grads = torch.autograd.grad(
                        loss, [self.radii[n] for n in names],
                        allow_unused=True)
                # a radius whose tensor the forward pass did not use has no
                # gradient: Adam skips it, as in the official code
                for name, grad in zip(names, grads):
                    self.radii[name].grad = grad
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
        finally:
            model.train(was_training)
        if get_world_size() > 1:
            for radius in self.radii.values():
                broadcast(radius.data, 0)

    @staticmethod
    def _check_logits(logits, labels) -> None:
        if logits.dim() != 2 or logits.shape[0] != labels.shape[0]:
            raise ValueError(
                'TPGMHook learns the radii on the cross-entropy of the '
                "model's logits (model(inputs, mode='tensor'), one row per "
                f'image); this model gives a {tuple(logits.shape)} tensor for '
                f'{labels.shape[0]} images: TPGM supports image classifiers '
                '(mmpretrain ImageClassifier and its subclasses)')

    # -- the projection data -------------------------------------------------

    def _build_data(self, runner) -> None:
        cfg = copy.deepcopy(self.dataloader_cfg)
        cfg.update(
            num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False))
        loader = runner.build_dataloader(cfg, seed=runner.seed)
        if len(loader.dataset) == 0:
            raise ValueError(
                'TPGMHook: the projection dataset (the hook\'s '
                'dataloader.dataset) is empty; the radii need labelled '
                'images held out from training')
        self._data = (loader.dataset, loader.collate_fn, cfg['batch_size'])

    def _batch(self, model, runner, draw: int) -> dict:
        """The ``draw``-th batch: images drawn without replacement by a
        generator seeded from the run's seed and ``draw``, read with the
        global generators restored afterwards."""
        dataset, collate, batch_size = self._data
        g = torch.Generator().manual_seed(
            (int(runner.seed or 0) * 1_000_003 + draw) % (2**63))
        order = torch.randperm(len(dataset), generator=g)[:batch_size]
        state = get_rng_state()
        try:
            batch = collate([dataset[int(i)] for i in order])
        finally:
            set_rng_state(state)
        return model.data_preprocessor(batch, False)

    # -- the run -------------------------------------------------------------

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        params = self.projected(model)
        if not params:
            names = [n for n, _ in model.named_parameters()][:5]
            raise ValueError(
                f'TPGMHook: no trainable parameter starts with {self.prefixes}'
                f' (the model\'s first parameters: {names}): set the hook\'s '
                'prefixes to the pre-trained part')
        self._build_data(runner)
        loaded, self._loaded = self._loaded, None
        self._start(params, loaded)
        runner.logger.info(
            f'TPGMHook: {len(params)} parameter tensors projected towards '
            f'their pre-trained values ({self.norm} norm), the radii learned '
            f'on {len(self._data[0])} held-out images every {self.proj_freq} '
            f'iteration(s), {self.max_iters} Adam step(s) at lr {self.lr}')

    def _start(self, params: dict, loaded: Optional[dict] = None) -> None:
        """The pre-trained weights, the radii and their Adam: from
        ``params`` as they are, or from a checkpoint's ``loaded`` state."""
        if loaded is not None:
            if sorted(loaded['anchors']) != sorted(params):
                raise ValueError(
                    'TPGMHook: the checkpoint\'s projected parameters differ '
                    'from this config\'s (its prefixes or the frozen layers '
                    'changed): resume with the config that saved it')
            self.anchors = {
                n: loaded['anchors'][n].to(p)
                for n, p in params.items()
            }
            self.radii = {
                n: loaded['radii'][n].to(p).requires_grad_()
                for n, p in params.items()
            }
            self.started = bool(loaded['started'])
        else:
            self.anchors = {n: p.detach().clone() for n, p in params.items()}
            self.radii = {
                n: torch.zeros((), dtype=p.dtype,
                               device=p.device).requires_grad_()
                for n, p in params.items()
            }
            self.started = False
        self.optimizer = torch.optim.Adam(
            list(self.radii.values()), lr=self.lr)
        if loaded is not None:
            self.optimizer.load_state_dict(loaded['optimizer'])

    def bench_setup(self, model, batch: dict) -> None:
        """Set the hook up on ``model`` without a runner, its projection
        data one collated ``batch`` (a training batch of the same size):
        for timing a training step with the hook's work
        (``.dev_scripts/benchmarks/step_time.py``)."""
        self._start(self.projected(model))
        data = model.data_preprocessor(batch, False)
        self._batch = lambda model, runner, draw: data
        self._bench_iter = 0

    def bench_step(self, model) -> None:
        """The hook's work after a training step, as
        :meth:`after_train_iter` does it (after :meth:`bench_setup`)."""
        if self._bench_iter % self.proj_freq == 0:
            self.learn_radii(model, None, self._bench_iter)
        self.project(model)
        self._bench_iter += 1

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        model = unwrap_model(runner.model)
        if batch_idx % self.proj_freq == 0:
            self.learn_radii(model, runner, runner.iter)
        self.project(model)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.anchors is None:
            return
        checkpoint[STATE_KEY] = dict(
            anchors={
                n: a.cpu()
                for n, a in self.anchors.items()
            },
            radii={
                n: r.detach().cpu()
                for n, r in self.radii.items()
            },
            optimizer=self.optimizer.state_dict(),
            started=self.started)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if STATE_KEY not in checkpoint:
            raise ValueError(
                'TPGMHook: the checkpoint to resume has no TPGM state (it was '
                'not saved by a run with TPGMHook), so the pre-trained '
                'weights the projection needs are not known: start a new run '
                'with load_from instead of --resume')
        self._loaded = checkpoint[STATE_KEY]
