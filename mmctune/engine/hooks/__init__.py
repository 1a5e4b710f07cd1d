from .finetune_hooks import DELTAAttentionHook, NoisyTuneHook, RIFLEHook
from .stage_switch_hook import StageSwitchHook

__all__ = [
    'StageSwitchHook', 'RIFLEHook', 'NoisyTuneHook', 'DELTAAttentionHook'
]
