"""The hierarchical K-means of HCSC (Guo et al., CVPR 2022), redone before
every epoch, and the per-epoch logs of its analyses (HCSC Table 4: the
clustering's wall time against the epoch's; Figure 1: precision and recall of
the negatives the instance selection removes and keeps).

After the authors' ``run_hkmeans`` and ``compute_features``
(github.com/gyfastas/HCSC, ``pretrain.py``), reimplemented.
"""
import copy
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import (all_reduce, broadcast_object_list, get_rank,
                           get_world_size)
from mmengine.hooks import Hook

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model


# -- K-means ------------------------------------------------------------------
def _sq_dists(x: torch.Tensor,
              c: torch.Tensor,
              chunk: int = 65536) -> Tuple[torch.Tensor, torch.Tensor]:
    """Squared L2 distance of each row of ``x`` to its nearest row of ``c``
    and that row's index, in chunks of ``chunk`` rows."""
    c_sq = (c * c).sum(dim=1)
    dist, assign = [], []
    for part in x.split(chunk):
        d = (part * part).sum(dim=1, keepdim=True) - 2 * part @ c.t() + c_sq
        m, a = d.min(dim=1)
        dist.append(m.clamp(min=0))
        assign.append(a)
    return torch.cat(dist), torch.cat(assign)


def torch_kmeans(
    x: torch.Tensor,
    k: int,
    niter: int = 20,
    nredo: int = 5,
    seed: int = 0,
    init: str = 'random',
    max_points_per_centroid: int = 1000
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lloyd's K-means in torch, vectorised, on ``x``'s device, following
    faiss's ``Clustering`` defaults of the official code: ``niter``
    iterations, the best of ``nredo`` runs by objective, training on at most
    ``k * max_points_per_centroid`` points (a seeded sample), an empty
    cluster split off the largest one (centroid copied, moved by +-1/1024).

    Args:
        x (Tensor): ``(n, d)`` points (float32).
        k (int): Number of clusters.
        init (str): ``'random'`` (k distinct points, faiss's) or
            ``'k-means++'``.

    Returns:
        tuple: centroids ``(k, d)``, then each point's squared distance to
        its nearest centroid and that centroid's index (faiss's ``D, I``).
    """
    n = x.size(0)
    if n < k:
        raise ValueError(f'K-means of {n} points into {k} clusters: use at '
                         'most as many clusters as points')
    if init not in ('random', 'k-means++'):
        raise ValueError(f"init must be 'random' or 'k-means++', got {init!r}")
    gen = torch.Generator().manual_seed(seed)
    x = x.float()
    train = x
    if n > k * max_points_per_centroid:
        keep = torch.randperm(n, generator=gen)[:k * max_points_per_centroid]
        train = x[keep.to(x.device)]
    best, best_obj = None, float('inf')
    for _ in range(nredo):
        c = _init_centroids(train, k, init, gen)
        for _ in range(niter):
            _, assign = _sq_dists(train, c)
            sums = torch.zeros_like(c).index_add_(0, assign, train)
            counts = torch.bincount(assign, minlength=k).to(train.dtype)
            filled = counts > 0
            c = torch.where(filled[:, None],
                            sums / counts.clamp(min=1)[:, None], c)
            c = _split_empty(c, counts)
        obj = float(_sq_dists(train, c)[0].sum())
        if obj < best_obj:
            best, best_obj = c, obj
    dist, assign = _sq_dists(x, best)
    return best, dist, assign


def _init_centroids(x: torch.Tensor, k: int, init: str,
                    gen: torch.Generator) -> torch.Tensor:
    n = x.size(0)
    if init == 'random':
        return x[torch.randperm(n, generator=gen)[:k].to(x.device)].clone()
    first = int(torch.randint(n, (1, ), generator=gen))
    chosen = [first]
    d = ((x - x[first])**2).sum(dim=1)
    for _ in range(1, k):
        p = d.double().cpu()
        p = p / p.sum() if p.sum() > 0 else torch.full_like(p, 1 / n)
        i = int(torch.multinomial(p, 1, generator=gen))
        chosen.append(i)
        d = torch.minimum(d, ((x - x[i])**2).sum(dim=1))
    return x[chosen].clone()


def _split_empty(c: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """faiss's handling of an empty cluster: copy the centroid of the
    largest cluster, move the two copies apart by +-1/1024 and halve the
    count."""
    empty = (counts == 0).nonzero().flatten().tolist()
    if not empty:
        return c
    c, counts = c.clone(), counts.clone()
    eps = 1 / 1024
    sign = torch.ones(c.size(1), device=c.device)
    sign[1::2] = -1
    for j in empty:
        big = int(counts.argmax())
        c[j] = c[big] * (1 + eps * sign)
        c[big] = c[big] * (1 - eps * sign)
        counts[j] = counts[big] // 2
        counts[big] -= counts[j]
    return c


def faiss_kmeans(
    x: torch.Tensor,
    k: int,
    niter: int = 20,
    nredo: int = 5,
    seed: int = 0,
    init: str = 'random',
    max_points_per_centroid: int = 1000
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The official code's faiss clustering (``faiss.Clustering`` with the
    same parameters, a GPU index when faiss has GPUs), same returns as
    :func:`torch_kmeans`. ``init`` must be ``'random'`` (faiss's)."""
    import faiss
    if init != 'random':
        raise ValueError("faiss initialises at random: init='random'")
    xn = np.ascontiguousarray(x.detach().float().cpu().numpy())
    d = xn.shape[1]
    clus = faiss.Clustering(d, k)
    clus.niter, clus.nredo, clus.seed = niter, nredo, seed
    clus.max_points_per_centroid = max_points_per_centroid
    clus.min_points_per_centroid = 10
    if hasattr(faiss, 'StandardGpuResources') and faiss.get_num_gpus() > 0:
        res = faiss.StandardGpuResources()
        cfg = faiss.GpuIndexFlatConfig()
        cfg.useFloat16 = False
        cfg.device = torch.cuda.current_device()
        index = faiss.GpuIndexFlatL2(res, d, cfg)
    else:
        index = faiss.IndexFlatL2(d)
    clus.train(xn, index)
    dist, assign = index.search(xn, 1)
    centroids = faiss.vector_to_array(clus.centroids).reshape(k, d)
    return (torch.from_numpy(centroids), torch.from_numpy(dist[:, 0]),
            torch.from_numpy(assign[:, 0]).long())


def get_kmeans(backend: str = 'auto') -> Tuple[str, Callable]:
    """``(name, function)`` of the K-means backend: ``'faiss'`` when it
    imports (``'auto'``), else ``'torch'``."""
    if backend not in ('auto', 'faiss', 'torch'):
        raise ValueError(
            f"backend must be 'auto', 'faiss' or 'torch', got {backend!r}")
    if backend in ('auto', 'faiss'):
        try:
            import faiss  # noqa: F401
            return 'faiss', faiss_kmeans
        except ImportError:
            if backend == 'faiss':
                raise ImportError(
                    "backend='faiss' needs faiss (pip install faiss-cpu, or "
                    "faiss-gpu); backend='auto' falls back to torch")
    return 'torch', torch_kmeans


# -- the hierarchy --------------------------------------------------------------
def cluster_density(sq_dist: torch.Tensor, assign: torch.Tensor, k: int,
                    temperature: float) -> torch.Tensor:
    r"""The concentration of each cluster (``run_hkmeans``; PCL's
    estimate):

    .. math::
        \phi_c = \frac{\operatorname{mean}_{x\in c}\lVert x - c\rVert}
                      {\log(|c| + 10)} \quad (|c| > 1),

    a cluster of at most one point takes the largest :math:`\phi`; then
    clipped to the 10th and 90th percentiles and scaled to mean
    :math:`\tau`: :math:`\phi \leftarrow \tau\phi/\bar\phi`.
    """
    dist = sq_dist.double().clamp(min=0).sqrt()
    assign = assign.long().cpu()
    dist = dist.cpu()
    counts = torch.bincount(assign, minlength=k).double()
    sums = torch.zeros(k, dtype=torch.float64).index_add_(0, assign, dist)
    many = counts > 1
    density = torch.zeros(k, dtype=torch.float64)
    density[many] = sums[many] / counts[many] / torch.log(counts[many] + 10)
    density[~many] = density.max()
    lo, hi = np.percentile(density.numpy(),
                           10), np.percentile(density.numpy(), 90)
    density = density.clamp(float(lo), float(hi))
    return (temperature * density / density.mean()).float()


def hierarchical_kmeans(features: torch.Tensor,
                        num_clusters: Sequence[int],
                        temperature: float,
                        kmeans: Callable = torch_kmeans,
                        **kmeans_kwargs) -> Dict[str, List[torch.Tensor]]:
    """HCSC's hierarchical K-means (``run_hkmeans``): level 0 clusters the
    embeddings, level ``l`` the normalised prototypes of level ``l - 1``
    (seed ``l``); ``cluster2cluster[l - 1]`` maps each level ``l - 1``
    prototype to its level ``l`` parent, and an image's level ``l``
    prototype is the parent of its level ``l - 1`` one. Densities from the
    distances at each level (:func:`cluster_density`).

    Returns:
        dict: lists over levels of ``im2cluster`` ``(n, )``, ``centroids``
        ``(C_l, d)`` (L2-normalised), ``density`` ``(C_l, )``,
        ``cluster2cluster`` ``(C_l, )`` (levels but the top) and ``logits``
        (lower prototypes times upper ones, as the official result).
    """
    res = dict(
        im2cluster=[], centroids=[], density=[], cluster2cluster=[], logits=[])
    points = features.float()
    for lvl, k in enumerate(num_clusters):
        centroids, sq_dist, assign = kmeans(
            points, int(k), seed=lvl, **kmeans_kwargs)
        assign = assign.long().cpu()
        if lvl == 0:
            im2cluster = assign
        else:
            res['cluster2cluster'].append(assign)
            im2cluster = assign[res['im2cluster'][-1]]
        density = cluster_density(sq_dist, assign, int(k), temperature)
        centroids = F.normalize(centroids.float().cpu(), dim=1)
        if lvl > 0:
            res['logits'].append(res['centroids'][-1] @ centroids.t())
        res['im2cluster'].append(im2cluster)
        res['centroids'].append(centroids)
        res['density'].append(density)
        points = centroids.to(features.device)
    return res


# -- features -------------------------------------------------------------------
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


@HOOKS.register_module()
class HierarchicalKMeansHook(Hook):
    """Before each epoch from ``warmup_epochs`` on (the official
    ``--warmup-epoch``), embed the training set with the key encoder, run
    :func:`hierarchical_kmeans` on rank 0, broadcast the result to every
    rank and set it on the :class:`~mmctune.models.HCSC` model; before the
    warm-up ends the model is MoCo v2. The result is a function of the
    model's weights and the seeds, so a resumed run recomputes the same
    prototypes.

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

    def _model(self, runner):
        model = unwrap_model(runner.model)
        if not hasattr(model, 'set_cluster_result'):
            raise TypeError('HierarchicalKMeansHook works with the HCSC '
                            f'model, got {type(model).__name__}')
        return model

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
        """The non-shuffled embedding loader: the training dataset with the
        hook's pipeline."""
        cfg = copy.deepcopy(runner.cfg.train_dataloader)
        cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
        dataset = cfg['dataset']
        if 'pipeline' not in dataset:
            raise ValueError('HierarchicalKMeansHook replaces the training '
                             "dataset's `pipeline`; this dataset config has "
                             'none at its top level')
        dataset['pipeline'] = copy.deepcopy(self.pipeline)
        cfg.update(
            sampler=dict(type='DefaultSampler', shuffle=False, seed=0),
            batch_size=self.batch_size or cfg.get('batch_size', 1),
            num_workers=self.num_workers,
            persistent_workers=False,
            drop_last=False)
        cfg.pop('batch_sampler', None)
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
