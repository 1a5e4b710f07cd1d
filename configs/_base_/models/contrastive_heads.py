# The contrastive heads on a 2048-d backbone (ResNet-50), as variables for
# configs that swap the head of a CE-tuning config:
#   model = dict(head={{_base_.coretune_head}})
# projector 2048 -> 2048 -> 256 (the head's default MLPProjector).

# SCL / CE-Con: CE + eta * SupCon on the originals, no generated pairs
scl_head = dict(
    type='ContrastiveClsHead',
    con_loss=dict(type='SupConLoss', temperature=0.07),
    con_weight=0.1,
    gather_distributed=True)

# Core-tuning: focal SupCon on hard pairs from hardness-directed mixup, and
# the smooth classifier; eta and alpha as the paper's CIFAR10
coretune_head = dict(
    type='ContrastiveClsHead',
    con_loss=dict(type='FocalSupConLoss', temperature=0.07),
    con_weight=0.1,  # eta
    miner=dict(
        type='HardnessDirectedMixup',
        alpha=1,  # lambda ~ Beta(alpha, alpha)
        lambda_n=0.8,
        lambda_p=0.0),
    # mine and contrast over the global batch on several GPUs
    gather_distributed=True)
