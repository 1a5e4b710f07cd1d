# Runtime of the leave-one-domain-out runs: iteration-based logs and
# checkpoints; the best checkpoint by training-domain validation (the mean
# of the source domains' held-out top-1, as DomainBed) and the last one;
# after training, TargetDomainTestHook tests both on the target domain and
# writes target_domain_results.json (tools/analysis_tools/
# collect_dg_results.py gathers them into the paper's Table 8).
_base_ = ['./default_runtime.py']

default_hooks = dict(
    # validation scalars by iteration, not by (the one) epoch
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=1,
        save_best='accuracy/domain_mean/top1',
        rule='greater'))
log_processor = dict(by_epoch=False)
# each method's config names itself: dict(type=..., method='Core-tuning')
custom_hooks = [dict(type='TargetDomainTestHook')]
