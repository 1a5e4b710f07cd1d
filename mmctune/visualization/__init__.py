"""Figures of results (as ``mmpretrain.visualization`` draws predictions):
plain numbers in, matplotlib Figures out, no training and no global state."""
from .results import (gains_figure, hcsc_figure, mean_std, paired_gains,
                      save_figure, step_cost_figure, top1_figure,
                      tsne_embedding, tsne_figure)

__all__ = [
    'gains_figure', 'hcsc_figure', 'mean_std', 'paired_gains', 'save_figure',
    'step_cost_figure', 'top1_figure', 'tsne_embedding', 'tsne_figure'
]
