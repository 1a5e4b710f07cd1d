default_scope = 'mmctune'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the last checkpoint (for --resume) and the best by top-1, written
    # so that a crash while saving leaves no partial file
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=1,
        max_keep_ckpts=1,
        save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmpretrain.VisualizationHook', enable=False),
    # distributed runs: the processes' BN statistics averaged before every
    # validation and checkpoint, so the model validated is the model saved
    sync_norm=dict(type='SyncNormStatsHook'),
    # random generator states in the checkpoints: --resume continues the
    # interrupted run's random stream
    random_state=dict(type='RandomStateHook'),
    # stop at a NaN/Inf loss, naming the step and the term
    check_loss=dict(type='FiniteLossCheckHook'),
    # an empty dataset or labels/classes that disagree with num_classes
    check_data=dict(type='DatasetCheckHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # on a machine without CUDA, tools/train.py switches this to gloo
    # a process that waits longer than `timeout` seconds for the others (one
    # died or hangs) raises instead of hanging
    dist_cfg=dict(backend='nccl', timeout=1800),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='mmpretrain.UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
