# Freezing the first k stages (Yosinski et al., NeurIPS 2014, "How
# transferable are features in deep neural networks?"; the surgical
# fine-tuning of Lee et al., ICLR 2023, with the earliest blocks kept):
# mmpretrain's ResNet `frozen_stages=k` keeps the stem and stages 1..k at
# their pre-trained values: no gradient (requires_grad=False), and their BN
# layers stay in eval mode at every model.train() (their statistics are kept
# too). k = 1 (stem + layer1, the low-level filters) is mmctune's choice;
# k = -1 freezes nothing, k = 0 the stem only, k = 4 the whole backbone
# (a linear probe). For a CE-tuning config:
#   model = dict(backbone=_base_.freeze_backbone)
# A frozen parameter gets no gradient, so DDP needs no
# find_unused_parameters (it skips parameters that do not require grad).
freeze_backbone = dict(frozen_stages=1)
