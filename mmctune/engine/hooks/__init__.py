from .finetune_hooks import DELTAAttentionHook, NoisyTuneHook, RIFLEHook
from .stage_switch_hook import StageSwitchHook
from .target_domain_hook import TargetDomainTestHook

__all__ = [
    'StageSwitchHook', 'RIFLEHook', 'NoisyTuneHook', 'DELTAAttentionHook',
    'TargetDomainTestHook'
]
