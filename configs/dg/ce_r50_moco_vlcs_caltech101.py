# CE-tuning of MoCo v2 ResNet-50 for domain generalisation on VLCS: trained on
# LabelMe, SUN09, VOC2007, tested on the unseen Caltech101
# (leave-one-domain-out). The paper's §5.3 settings: Adam lr 5e-5, exponential
# decay, batch 32, 20,000 iterations; model selection by training-domain
# validation and by the last checkpoint (../_base_/ dg_runtime.py). The other
# targets' configs change target_domain only.
# batch: 1 GPU x 32 = 32 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/vlcs.py',
    '../_base_/schedules/adam_exp_20k.py',
    '../_base_/dg_runtime.py',
]

model = dict(head=dict(num_classes=5, topk=(1, )))
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-tuning')]
