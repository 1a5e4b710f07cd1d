# CE-tuning of MoCo v2 ResNet-50 for domain generalisation on PACS: trained on
# cartoon, photo, sketch, tested on the unseen art_painting
# (leave-one-domain-out). The paper's §5.3 settings: Adam lr 5e-5, exponential
# decay, 20,000 iterations; weight decay 1e-4 (appendix C.3: "All other
# hyper-parameters of Core-tuning are the same as image classification",
# ../_base_/schedules/adam_exp_20k.py); model selection by training-domain
# validation and by the last checkpoint (../_base_/dg_runtime.py). DomainBed's
# protocol, which §5.3 builds on: batch 32 per source domain, 96 a step
# (../_base_/datasets/domain_generalization.py), and the ResNet's BatchNorm
# frozen (below). The other targets' configs change target_domain only.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/pacs.py',
    '../_base_/schedules/adam_exp_20k.py',
    '../_base_/dg_runtime.py',
]

model = dict(
    # DomainBed's ResNet.freeze_bn (domainbed/networks.py): every BatchNorm
    # of the backbone in eval mode at every train(), so its running mean
    # and variance stay the pre-trained ones and it normalises with them;
    # its weight and bias are still trained. mmpretrain's norm_eval=True
    # does exactly that (ResNet.train); the head has no BatchNorm.
    backbone=dict(norm_eval=True),
    head=dict(num_classes=7, topk=(1, )))
auto_scale_lr = dict(base_batch_size=96)
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-tuning')]
