# Core-tuning paper §5.3 (domain generalisation): Adam, lr 5e-5, exponential
# decay, 20,000 iterations of batch 96 (DomainBed's 32 per source domain, three
# sources; the paper builds on DomainBed). The paper gives no decay rate: gamma
# here takes lr to a tenth over the run (5e-5 -> 5e-6), per iteration.
max_iters = 20000
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5, weight_decay=0))
param_scheduler = dict(
    type='ExponentialLR', gamma=0.1**(1 / max_iters), by_epoch=False)

# training-domain validation every 1,000 iterations (the selection points)
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=96)
