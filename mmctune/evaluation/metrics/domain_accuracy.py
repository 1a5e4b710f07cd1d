from typing import List, Sequence

import numpy as np
from mmpretrain.evaluation import Accuracy

from mmctune.registry import METRICS


@METRICS.register_module()
class DomainAccuracy(Accuracy):
    """mmpretrain's ``Accuracy``, also per domain and averaged over domains:
    for domain generalisation, where training-domain validation selects by
    the mean of the source domains' accuracies (as DomainBed does) and the
    target domain's accuracy is the result.

    Keys (with ``topk=(1, )``): ``accuracy/top1`` over all samples,
    ``accuracy/<domain>/top1`` for each domain present, and
    ``accuracy/domain_mean/top1``, their mean. Domain names come from the
    dataset's ``domains`` metainfo (``domain<i>`` without it). Each data
    sample must carry ``domain_label``: add it to ``PackInputs``'
    ``meta_keys``. Arguments as ``Accuracy``.
    """

    def process(self, data_batch, data_samples: Sequence[dict]):
        super().process(data_batch, data_samples)
        for result, sample in zip(self.results[-len(data_samples):],
                                  data_samples):
            if 'domain_label' not in sample:
                raise KeyError(
                    "DomainAccuracy needs 'domain_label' in every data "
                    "sample: add it to PackInputs' meta_keys, e.g. "
                    "dict(type='mmpretrain.PackInputs', meta_keys=("
                    "'sample_idx', 'img_path', 'domain_label'))")
            result['domain_label'] = int(sample['domain_label'])

    def compute_metrics(self, results: List) -> dict:
        metrics = super().compute_metrics(results)
        domains = (self.dataset_meta or {}).get('domains')
        labels = np.array([r['domain_label'] for r in results])
        per_domain = []
        for d in np.unique(labels):
            name = domains[d] if domains else f'domain{d}'
            sub = super().compute_metrics(
                [r for r, keep in zip(results, labels == d) if keep])
            per_domain.append(sub)
            metrics.update({f'{name}/{k}': v for k, v in sub.items()})
        metrics.update({
            f'domain_mean/{k}':
            float(np.mean([m[k] for m in per_domain]))
            for k in per_domain[0]
        })
        return metrics
