from .lora_vit import LoRALinear, LoRAViT
from .prompted_vit import PromptedViT

__all__ = ['LoRALinear', 'LoRAViT', 'PromptedViT']
