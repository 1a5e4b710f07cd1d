# Runtime of the segmentation configs: mmseg's iteration-based defaults in
# the mmctune scope.
default_scope = 'mmctune'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=3000,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmseg.SegVisualizationHook', draw=False),
    # as ./default_runtime.py
    random_state=dict(type='RandomStateHook'),
    check_loss=dict(type='FiniteLossCheckHook'),
    check_data=dict(type='DatasetCheckHook'),
)

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # on a machine without CUDA, mmctune switches this to gloo (and SyncBN
    # to BN)
    dist_cfg=dict(backend='nccl', timeout=1800),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='mmseg.SegLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
log_processor = dict(by_epoch=False)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
