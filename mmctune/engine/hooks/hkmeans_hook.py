"""The hierarchical K-means of HCSC (Guo et al., CVPR 2022), redone before
every epoch, and the per-epoch logs of its analyses (HCSC Table 4: the
clustering's wall time against the epoch's; Figure 1: precision and recall of
the negatives the instance selection removes and keeps).

After the authors' ``run_hkmeans`` and ``compute_features``
(github.com/gyfastas/HCSC, ``pretrain.py``), reimplemented; the K-means
itself is :mod:`mmctune.models.utils.kmeans`.
"""
import inspect
import time
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import (all_reduce, broadcast_object_list, get_rank,
                           get_world_size)

from mmctune.datasets import train_eval_loader_cfg
from mmctune.models.utils.kmeans import (get_kmeans, hierarchical_kmeans,
                                         torch_kmeans)
from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model
from .prepare_hook import PrepareHook


# -- features ----------------------------------------------------------------
@torch.no_grad()
def extract_key_features(model, dataloader, num_images: int) -> torch.Tensor:
    """Key-encoder embeddings of every image of ``dataloader``'s dataset,
    in dataset order (by ``sample_idx``), gathered from all ranks: each rank
    embeds its shard, an all-reduce sums them (a padded sampler's repeats
    are divided out: the official code halved the norms above 1.5)."""
    model = unwrap_model(model)
    was_training = model.training
    model.eval()
    device = model.queue.device
    feats, counts = None, torch.zeros(num_images, device=device)
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        inputs = data['inputs']
        if isinstance(inputs, list):
            inputs = inputs[0]
        f = model.extract_key_feat(inputs)
        idx = torch.tensor([int(s.sample_idx) for s in data['data_samples']],
                           device=device)
        if feats is None:
            feats = torch.zeros(num_images, f.size(1), device=device)
        feats.index_add_(0, idx, f)
        counts.index_add_(0, idx, torch.ones_like(idx, dtype=counts.dtype))
    model.train(was_training)
    if feats is None:
        raise ValueError('the clustering loader gave no images')
    if get_world_size() > 1:
        all_reduce(feats, op='sum')
        all_reduce(counts, op='sum')
    if (counts == 0).any():
        raise ValueError(
            f'{int((counts == 0).sum())} of {num_images} images were not '
            'embedded: the clustering loader must cover the training set '
            '(sample_idx 0..n-1)')
    return feats / counts[:, None]


def fit_levels(num_clusters: Sequence[int], images: int) -> tuple:
    """Prototypes per level that ``images`` images fill: level ``i`` at
    most ``images / 2^(i+1)``, at least one more than the levels above it
    (so the levels keep decreasing)."""
    levels = len(num_clusters)
    return tuple(
        min(int(k), max(levels - i, (images // 2) >> i))
        for i, k in enumerate(num_clusters))


@HOOKS.register_module()
class HierarchicalKMeansHook(PrepareHook):
    """Before each epoch from ``warmup_epochs`` on (the official
    ``--warmup-epoch``), embed the training set with the key encoder, run
    :func:`hierarchical_kmeans` on rank 0, broadcast the result to every
    rank and set it on the :class:`~mmctune.models.selfsup.HCSC` model;
    before the warm-up ends the model is MoCo v2. The result is a function
    of the model's weights and the seeds, so a resumed run recomputes the
    same prototypes. A :class:`PrepareHook` redone every epoch: the
    embedding pass reads the training set with ``pipeline``, each image
    once, in order (:func:`~mmctune.datasets.train_eval_loader_cfg`).

    Logs per epoch (logger and visualizer): the feature and K-means times
    against the epoch's (HCSC Table 4), and, when the images have labels,
    per level the precision / recall of the removed negatives as false
    negatives (the query's label) and of the kept ones as true negatives
    (HCSC Figure 1).

    Args:
        num_clusters (Sequence[int]): Prototypes per level, decreasing.
        warmup_epochs (int): First epoch (0-based) that clusters. The
            official ImageNet setting is 20.
        pipeline (list[dict]): The test-style pipeline of the embedding
            pass (the official eval loader: resize and centre crop).
        batch_size (int): Of the embedding pass; default the training one.
        num_workers (int): Of the embedding pass.
        backend (str): ``'auto'`` (faiss if it imports, else torch),
            ``'faiss'`` or ``'torch'``.
        niter, nredo, init, max_points_per_centroid: of the K-means;
            defaults the official faiss settings.
    """
    priority = 'NORMAL'

    def __init__(self,
                 num_clusters: Sequence[int] = (3000, 2000, 1000),
                 warmup_epochs: int = 20,
                 pipeline: Optional[list] = None,
                 batch_size: Optional[int] = None,
                 num_workers: int = 0,
                 backend: str = 'auto',
                 niter: int = 20,
                 nredo: int = 5,
                 init: str = 'random',
                 max_points_per_centroid: int = 1000) -> None:
        num_clusters = [int(k) for k in num_clusters]
        if not num_clusters or any(
                a <= b for a, b in zip(num_clusters, num_clusters[1:])) or \
                min(num_clusters) < 1:
            raise ValueError('num_clusters must be positive and decreasing '
                             f'level by level, got {num_clusters}')
        if pipeline is None:
            raise ValueError('HierarchicalKMeansHook needs the test-style '
                             '`pipeline` of the embedding pass')
        if warmup_epochs < 0:
            raise ValueError(f'warmup_epochs must be >= 0, got '
                             f'{warmup_epochs}')
        self.num_clusters = num_clusters
        self.warmup_epochs = warmup_epochs
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.requested_backend = backend
        self.backend, self.kmeans = get_kmeans(backend)
        self.kmeans_kwargs = dict(
            niter=niter,
            nredo=nredo,
            init=init,
            max_points_per_centroid=max_points_per_centroid)
        self._loader = None
        self._times = {}

    @staticmethod
    def _hcsc(model):
        if not hasattr(model, 'set_cluster_result'):
            raise TypeError('HierarchicalKMeansHook works with the HCSC '
                            f'model, got {type(model).__name__}')
        return model

    def _model(self, runner):
        return self._hcsc(unwrap_model(runner.model))

    @classmethod
    def fit_to_images(cls, hook_cfg: dict, cfg, images: int) -> List[str]:
        """Prototypes that ``images`` images fill (:func:`fit_levels`),
        clustered from the first epoch (no warm-up)."""
        default = inspect.signature(cls).parameters['num_clusters'].default
        hook_cfg['num_clusters'] = fit_levels(
            hook_cfg.get('num_clusters', default), images)
        if hook_cfg.get('warmup_epochs', 20):
            hook_cfg['warmup_epochs'] = 0
        return [f'prototypes {hook_cfg["num_clusters"]}']

    def mark_prepared(self, model, num_images: Optional[int] = None) -> None:
        """A clustering of ``num_images`` (default: the first level's
        prototypes) random unit embeddings, with prototypes that they fill
        (:func:`fit_levels`), as if the epoch had clustered the training
        set."""
        model = self._hcsc(model)
        n = num_images or self.num_clusters[0]
        g = torch.Generator().manual_seed(0)
        feats = F.normalize(
            torch.randn(n, model.queue.size(0), generator=g), dim=1)
        model.set_cluster_result(
            hierarchical_kmeans(
                feats,
                fit_levels(self.num_clusters, n),
                model.temperature,
                torch_kmeans,
                niter=1,
                nredo=1))

    def before_train(self, runner) -> None:
        self._model(runner)
        n = len(runner.train_dataloader.dataset)
        if n < self.num_clusters[0]:
            raise ValueError(f'{n} training images for {self.num_clusters[0]} '
                             'prototypes at the first level: set the hook\'s '
                             'num_clusters to at most the number of images')
        why = ''
        if self.backend == 'torch' and self.requested_backend == 'auto':
            why = ' (faiss is not installed: the vectorised torch fallback)'
        runner.logger.info(
            f'HierarchicalKMeansHook: K-means with {self.backend}{why}')

    def build_loader(self, runner):
        """The embedding loader: the training set with the hook's pipeline,
        each image once, in order."""
        cfg = train_eval_loader_cfg(
            runner.cfg,
            pipeline=self.pipeline,
            batch_size=self.batch_size,
            num_workers=self.num_workers)
        return runner.build_dataloader(cfg, seed=0)

    def cluster(self, runner) -> dict:
        """Embed, cluster on rank 0, broadcast: every rank's result."""
        model = self._model(runner)
        if self._loader is None:
            self._loader = self.build_loader(runner)
        n = len(self._loader.dataset)
        if n != len(runner.train_dataloader.dataset):
            raise ValueError(
                f'the embedding loader has {n} images, the training set '
                f'{len(runner.train_dataloader.dataset)}')
        t0 = time.time()
        feats = extract_key_features(model, self._loader, n)
        t1 = time.time()
        result = [None]
        if get_rank() == 0:
            result = [
                hierarchical_kmeans(feats, self.num_clusters,
                                    model.temperature, self.kmeans,
                                    **self.kmeans_kwargs)
            ]
        broadcast_object_list(result, src=0)
        self._times.update(features=t1 - t0, kmeans=time.time() - t1)
        return result[0]

    def before_train_epoch(self, runner) -> None:
        model = self._model(runner)
        model.reset_selection_counts()
        self._times = {}
        if runner.epoch >= self.warmup_epochs:
            model.set_cluster_result(self.cluster(runner))
        else:
            model.set_cluster_result(None)
        self._train_start = time.time()

    def after_train_epoch(self, runner) -> None:
        model = self._model(runner)
        scalars = {}
        if self._times:
            scalars['hcsc/cluster_time'] = (
                self._times['features'] + self._times['kmeans'])
            scalars['hcsc/feature_time'] = self._times['features']
            scalars['hcsc/kmeans_time'] = self._times['kmeans']
        scalars['hcsc/train_time'] = time.time() - self._train_start
        counts = model.selection_counts
        levels = len(self.num_clusters)
        if self._times and model.instance_selection:
            if counts is None:
                counts = torch.zeros(levels, 6, dtype=torch.float64)
            counts = counts.to(model.queue.device)
            if get_world_size() > 1:
                all_reduce(counts, op='sum')
            scalars.update(selection_metrics(counts.cpu()))
        msg = ', '.join(f'{k}: {v:.4g}' for k, v in scalars.items())
        runner.logger.info(f'Epoch {runner.epoch + 1} HCSC: {msg}')
        for key, value in scalars.items():
            runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(scalars, step=runner.epoch + 1)


def selection_metrics(counts: torch.Tensor) -> Dict[str, float]:
    """Precision / recall per level from :attr:`HCSC.selection_counts`
    (columns ``removed, removed_fn, fn, kept, kept_tn, tn``): of the removed
    negatives as false negatives, of the kept ones as true negatives (HCSC
    Figure 1). NaN where a denominator is 0 (nothing labelled)."""
    out = {}

    def ratio(a, b):
        return float(a / b) if b > 0 else float('nan')

    for lvl, (rem, rem_fn, fn, kept, kept_tn,
              tn) in enumerate(counts.tolist()):
        out[f'hcsc/fn_precision_l{lvl}'] = ratio(rem_fn, rem)
        out[f'hcsc/fn_recall_l{lvl}'] = ratio(rem_fn, fn)
        out[f'hcsc/tn_precision_l{lvl}'] = ratio(kept_tn, kept)
        out[f'hcsc/tn_recall_l{lvl}'] = ratio(kept_tn, tn)
    return out
