# TPGM, Trainable Projected Gradient Method (Tian et al., "Trainable
# Projected Gradient Method for Robust Fine-tuning", CVPR 2023; official code
# PotatoTian/TPGM, utils/tpgm.py): after each training step, each
# pre-trained tensor projected into a learned distance of its pre-trained
# value, the distances (one per tensor) learned by Adam on the cross-entropy
# of the projected model on held-out labelled images
# (mmctune.engine.hooks.TPGMHook). The paper is not among this repository's
# papers: the values are the official code's (norm 'mars', per-row L1; the
# radii learned at every iteration, proj_freq 1 as in its README's runs; one
# Adam step each, max_iters 1; lr 1e-2). The backbone is projected; the
# head, trained from scratch, is not (the official exclude list).
# A config adds the hook with its projection data, a labelled split that
# training does not see:
#   custom_hooks = [dict(_base_.tpgm_hook, dataloader=dict(
#       batch_size=..., dataset=...))]
tpgm_hook = dict(
    type='TPGMHook',
    prefixes=('backbone', ),
    norm='mars',
    proj_freq=1,
    max_iters=1,
    lr=1e-2)
