# Noisy-Tune (Wu et al., ACL 2022): CE-tuning after perturbing every backbone
# parameter matrix by U(-0.075, 0.075) * its std (lambda 0.15).
custom_hooks = [dict(type='NoisyTuneHook', noise_lambda=0.15)]

# Noisy-Tune with SCL, as the COIN paper compares it (Pan et al., §4.3: "In
# like manner of COIN, we also combine Noisy-Tune with SCL"): SCL as COIN
# constructs it, CE + lambda * SupCon with "the temperature coefficient
# tau = 0.3, and the weight of supervised contrastive loss lambda = 0.1"
# (§4.2; §3.2: "set lambda = 0.1, thus constructing SCL"). A head fragment
# for a CE-tuning config: model = dict(head={{_base_.coin_scl_head}})
coin_scl_head = dict(
    con_loss=dict(type='SupConLoss', temperature=0.3, loss_weight=0.1),
    gather_distributed=True)
