from typing import Optional, Tuple

import torch

from mmctune.utils import unwrap_model


@torch.no_grad()
def extract_features(
        model,
        dataloader,
        max_samples: Optional[int] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Encoder features and labels of a dataloader's samples (on this rank):
    ``model.extract_feat(inputs)[-1]`` after the model's data
    preprocessor, i.e. the pooled features of an mmpretrain classifier.

    Returns:
        (features (N, C) float32 on the CPU, labels (N, ) long)
    """
    model = unwrap_model(model)
    model.eval()
    feats, labels = [], []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        out = model.extract_feat(data['inputs'])
        out = out[-1] if isinstance(out, (tuple, list)) else out
        feats.append(out.float().cpu())
        labels += [int(s.gt_label) for s in data['data_samples']]
        if max_samples is not None and len(labels) >= max_samples:
            break
    if not labels:
        raise RuntimeError('the dataloader gave no samples')
    feats = torch.cat(feats)
    labels = torch.tensor(labels)
    if max_samples is not None:
        feats, labels = feats[:max_samples], labels[:max_samples]
    return feats, labels
