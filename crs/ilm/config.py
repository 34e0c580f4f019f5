"""The adapter's configuration: a dataclass saved as adapter_config.json (like a peft adapter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crs.config_utils import StrictConfig

ITEM_PLACEHOLDER = "<item>"
USER_PLACEHOLDER = "<user>"


@dataclass
class ILMConfig(StrictConfig):
    """Architecture of the item-language adapter. Data sizes (entities, vocabulary) are checked on load."""

    llm_hidden: int = field(default=576, metadata={"help": "hidden size of the frozen LLM (SmolLM2-135M: 576)"})
    vocab_size: int = field(default=49152, metadata={"help": "LLM vocabulary size (infusion loss bias)"})
    n_query: int = field(default=4, metadata={"help": "K: soft tokens per item (learned Q-Former queries)"})
    q_dim: int = field(default=256, metadata={"help": "Q-Former width"})
    q_layers: int = field(default=2, metadata={"help": "Q-Former layers (self-attention, cross-attention, MLP)"})
    q_heads: int = field(default=4, metadata={"help": "attention heads in the Q-Former"})
    kg_dim: int = field(default=128, metadata={"help": "R-GCN entity embedding size (the KG recommender's dim)"})
    cf_dim: int = field(default=64, metadata={"help": "MovieLens collaborative item vector size"})
    text_dim: int = field(default=384, metadata={"help": "item text embedding size (all-MiniLM-L6-v2)"})
    user_dim: int = field(default=128, metadata={"help": "KG recommender user vector size (u in KECRS)"})
    n_entities: int = field(default=15602, metadata={"help": "TMDKG entities (BOE distribution size)"})
    user_token: bool = field(default=True, metadata={"help": "insert W_align(u) as a soft token at <user>"})
    token_scale: float = field(default=1.0, metadata={"help": "initial RMS of soft tokens (set to the LLM's embedding RMS)"})
    dropout: float = 0.1
    lora: bool = field(default=False, metadata={"help": "a peft LoRA on the LLM was trained and saved in lora/"})
    lora_r: int = 8
    lora_alpha: int = 16
    lora_targets: list = field(default_factory=lambda: ["q_proj", "v_proj"])
    item_vectors: str = field(default="svd", metadata={"help": "where item/entity vectors come from: 'svd' (TMDKG "
                              "spectral) or a KG recommender checkpoint folder"})
    llm: str = field(default="smollm2", metadata={"help": "which LLM the adapter was trained for (informational)"})

    def __post_init__(self):
        if self.n_query <= 0 or self.q_layers <= 0 or self.q_dim % self.q_heads:
            raise ValueError("n_query and q_layers must be positive and q_dim divisible by q_heads")
        if min(self.llm_hidden, self.kg_dim, self.cf_dim, self.text_dim, self.user_dim) <= 0:
            raise ValueError("all sizes must be positive")
