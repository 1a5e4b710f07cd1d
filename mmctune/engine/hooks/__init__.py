from .check_hooks import DatasetCheckHook, FiniteLossCheckHook
from .checkpoint_hook import (AtomicCheckpointHook, AtomicLocalBackend,
                              atomic_write, find_resume_checkpoint)
from .finetune_hooks import DELTAAttentionHook, NoisyTuneHook, RIFLEHook
from .hkmeans_hook import HierarchicalKMeansHook
from .random_state_hook import RandomStateHook
from .stage_switch_hook import StageSwitchHook
from .sync_norm_hook import SyncNormStatsHook
from .target_domain_hook import TargetDomainTestHook

__all__ = [
    'StageSwitchHook', 'RIFLEHook', 'NoisyTuneHook', 'DELTAAttentionHook',
    'TargetDomainTestHook', 'AtomicCheckpointHook', 'AtomicLocalBackend',
    'atomic_write', 'find_resume_checkpoint', 'RandomStateHook',
    'FiniteLossCheckHook', 'DatasetCheckHook', 'HierarchicalKMeansHook',
    'SyncNormStatsHook'
]
