from typing import Dict, Sequence, Tuple, Union

import torch
from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.runner import BaseLoop
from torch.utils.data import DataLoader

from mmctune.evaluation.functional import (extract_features, s_dbw,
                                           weighted_knn_predict)
from mmctune.registry import LOOPS


@LOOPS.register_module()
class KNNValLoop(BaseLoop):
    """Weighted kNN accuracy of the encoder's features, as a validation
    loop: features of ``bank_dataloader`` (the training images, with the
    test pipeline) are the memory bank, those of the loop's own dataloader
    the queries (the NPID / HCSC protocol: cosine similarity, votes
    ``exp(s / 0.07)``, every K and the best).

    Reports ``knn/top1_k{K}`` for each K and ``knn/top1_best``, and with
    ``s_dbw=True`` the S_Dbw index of the query features grouped by their
    labels (``feat/s_dbw``, Halkidi's definition; lower is better). The
    features are ``model.extract_feat(inputs)[-1]`` (the pooled encoder
    features of an mmpretrain ``ImageClassifier``). The loop's ``evaluator``
    is unused.

    Args:
        runner, dataloader, evaluator: given by the Runner.
        bank_dataloader (dict | DataLoader): The memory bank's images.
        ks (Sequence[int]): Defaults to (10, 20, 100, 200).
        temperature (float): Defaults to 0.07.
        query_chunk, bank_chunk (int): Chunk sizes of the similarity
            computation (see :func:`weighted_knn_predict`).
        s_dbw (bool): Also report S_Dbw. Defaults to False.
    """
    hook_prefix = 'val'

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 bank_dataloader: Union[DataLoader, Dict],
                 evaluator=None,
                 ks: Sequence[int] = (10, 20, 100, 200),
                 temperature: float = 0.07,
                 query_chunk: int = 1024,
                 bank_chunk: int = 16384,
                 s_dbw: bool = False):
        super().__init__(runner, dataloader)
        self.with_s_dbw = s_dbw
        self.bank_dataloader = runner.build_dataloader(
            bank_dataloader, seed=runner.seed) if isinstance(
                bank_dataloader, dict) else bank_dataloader
        self.ks = tuple(ks)
        self.temperature = temperature
        self.query_chunk = query_chunk
        self.bank_chunk = bank_chunk

    def extract(self, dataloader) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features and labels of a whole dataset, in dataset order, on the
        main process (None elsewhere)."""
        feats, labels = extract_features(self.runner.model, dataloader)
        results = collect_results(
            list(zip(feats, labels.tolist())), len(dataloader.dataset))
        if not is_main_process():
            return None, None
        feats, labels = zip(*results)
        return torch.stack(feats), torch.tensor(labels)

    def check_ks(self) -> None:
        """Refuse a K larger than the bank, before any feature is
        extracted: its "kNN" would vote with the whole bank."""
        size = len(self.bank_dataloader.dataset)
        too_large = [k for k in self.ks if k > size]
        if too_large:
            raise ValueError(
                f'kNN with K = {too_large} needs at least that many bank '
                f'samples; the bank (the training set) has {size}: choose '
                f'K <= {size} (feature_eval.py --ks, or the loop\'s ks)')

    def run(self) -> dict:
        self.check_ks()
        self.runner.call_hook(f'before_{self.hook_prefix}')
        self.runner.call_hook(f'before_{self.hook_prefix}_epoch')
        self.runner.model.eval()
        bank, bank_labels = self.extract(self.bank_dataloader)
        queries, labels = self.extract(self.dataloader)
        metrics = [None]
        if is_main_process():
            num_classes = int(max(bank_labels.max(), labels.max())) + 1
            preds = weighted_knn_predict(bank, bank_labels, queries, self.ks,
                                         self.temperature, num_classes,
                                         self.query_chunk, self.bank_chunk)
            result = {
                f'knn/top1_k{k}': float((p == labels).float().mean() * 100)
                for k, p in preds.items()
            }
            result['knn/top1_best'] = max(result.values())
            if self.with_s_dbw:
                result['feat/s_dbw'] = s_dbw(queries.numpy(), labels.numpy())
            metrics = [result]
        broadcast_object_list(metrics)
        self.runner.call_hook(
            f'after_{self.hook_prefix}_epoch', metrics=metrics[0])
        self.runner.call_hook(f'after_{self.hook_prefix}')
        return metrics[0]


@LOOPS.register_module()
class KNNTestLoop(KNNValLoop):
    """:class:`KNNValLoop` as a test loop (``test_cfg``; ``tools/test.py``
    and ``tools/analysis_tools/feature_eval.py``)."""
    hook_prefix = 'test'
