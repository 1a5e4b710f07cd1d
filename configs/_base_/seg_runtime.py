# Runtime of the segmentation configs: ./default_runtime.py with mmseg's
# iteration-based logs and checkpoints and its visualiser.
_base_ = ['./default_runtime.py']

default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=3000, save_best=None),
    visualization=dict(
        _delete_=True, type='mmseg.SegVisualizationHook', draw=False))

# on a machine without CUDA, tools/train.py switches dist_cfg to gloo (and
# builds SyncBN as BN), see docs/get_started.md
env_cfg = dict(cudnn_benchmark=True)

visualizer = dict(type='mmseg.SegLocalVisualizer', name='visualizer')
log_processor = dict(by_epoch=False)
