from .check_hooks import DatasetCheckHook, FiniteLossCheckHook
from .checkpoint_hook import (AtomicCheckpointHook, AtomicLocalBackend,
                              atomic_write, find_resume_checkpoint)
from .co_tuning_hook import CoTuningRelationshipHook
from .diagnostics_hook import TrainDiagnosticsHook
from .dr_tune_hook import DRTuneQueueHook
from .finetune_hooks import DELTAAttentionHook, NoisyTuneHook, RIFLEHook
from .hkmeans_hook import HierarchicalKMeansHook
from .prepare_hook import (PrepareHook, PrepareOnceHook, fit_preparations,
                           mark_prepared, prepare_hooks)
from .random_state_hook import RandomStateHook
from .stage_switch_hook import StageSwitchHook
from .sync_norm_hook import SyncNormStatsHook
from .target_domain_hook import TargetDomainTestHook
from .tpgm_hook import TPGMHook

__all__ = [
    'StageSwitchHook', 'RIFLEHook', 'NoisyTuneHook', 'DELTAAttentionHook',
    'TargetDomainTestHook', 'AtomicCheckpointHook', 'AtomicLocalBackend',
    'atomic_write', 'find_resume_checkpoint', 'RandomStateHook',
    'FiniteLossCheckHook', 'DatasetCheckHook', 'HierarchicalKMeansHook',
    'SyncNormStatsHook', 'CoTuningRelationshipHook', 'PrepareHook',
    'PrepareOnceHook', 'prepare_hooks', 'fit_preparations', 'mark_prepared',
    'TrainDiagnosticsHook', 'TPGMHook', 'DRTuneQueueHook'
]
