"""The item-language adapter (ILM): a Q-Former item encoder whose outputs become soft tokens for a frozen LLM,
plus KECRS's Bag-of-Entity and infusion losses and BOE-guided decoding.

    from crs.ilm import ILMConfig, ItemLanguageAdapter
    adapter = ItemLanguageAdapter.from_pretrained("~/.cache/crs/ilm/cpu-stage2")

Nothing heavy is imported here: torch loads with the submodules.
"""

from crs.ilm.config import ILMConfig

__all__ = ["ILMConfig"]
