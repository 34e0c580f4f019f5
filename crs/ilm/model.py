"""Q-Former item encoder, projector into the LLM's embedding space, and the KECRS heads (BOE, infusion).

Item inputs are three vectors per movie: its R-GCN entity embedding, its MovieLens collaborative
vector and its text embedding. Learned queries cross-attend to them; the projector maps the K
query outputs to K soft tokens. Saved as adapter_config.json + adapter_model.safetensors.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from crs.ilm.config import ILMConfig
from crs.pretrained import load_pretrained_files, save_pretrained_files

CONFIG_NAME, WEIGHTS_NAME, LORA_DIR = "adapter_config.json", "adapter_model.safetensors", "lora"


class QFormerLayer(nn.Module):
    """Pre-norm block: queries attend to each other, then to the item's vectors, then an MLP."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.n1, self.n2, self.n3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim))

    def forward(self, q: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        x = self.n1(q)
        q = q + self.self_attn(x, x, x, need_weights=False)[0]
        q = q + self.cross_attn(self.n2(q), memory, memory, need_weights=False)[0]
        return q + self.mlp(self.n3(q))


class ItemEncoder(nn.Module):
    """Q-Former: K learned queries over the item's [kg, cf, text] vectors -> [B, K, q_dim]."""

    def __init__(self, c: ILMConfig):
        super().__init__()
        self.inputs = nn.ModuleList([nn.Linear(c.kg_dim, c.q_dim), nn.Linear(c.cf_dim, c.q_dim),
                                     nn.Linear(c.text_dim, c.q_dim)])
        self.source = nn.Parameter(torch.zeros(3, c.q_dim))  # which vector a memory slot holds
        self.queries = nn.Parameter(torch.randn(c.n_query, c.q_dim) * 0.02)
        self.layers = nn.ModuleList([QFormerLayer(c.q_dim, c.q_heads, c.dropout) for _ in range(c.q_layers)])
        self.norm = nn.LayerNorm(c.q_dim)

    def forward(self, kg: torch.Tensor, cf: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        memory = torch.stack([lin(x) for lin, x in zip(self.inputs, (kg, cf, text))], dim=1) + self.source
        q = self.queries.expand(kg.shape[0], -1, -1)
        for layer in self.layers:
            q = layer(q, memory)
        return self.norm(q)


class ItemLanguageAdapter(nn.Module):
    """Item encoder + projector + contrastive heads + KECRS heads (W_align for infusion, W for BOE)."""

    def __init__(self, config: ILMConfig):
        super().__init__()
        c = self.config = config
        self.encoder = ItemEncoder(c)
        self.projector = nn.Sequential(nn.Linear(c.q_dim, c.llm_hidden), nn.GELU(), nn.Linear(c.llm_hidden, c.llm_hidden),
                                       nn.LayerNorm(c.llm_hidden))
        with torch.no_grad():  # soft tokens start at the scale of the LLM's own token embeddings
            self.projector[-1].weight.fill_(c.token_scale)
        # Contrastive heads are residual and start at zero: at step 0 an item's embedding is its text
        # embedding and a query's is its MiniLM embedding, i.e. exactly the raw text-embedding baseline.
        self.item_head = nn.Linear(c.q_dim, c.text_dim)
        self.text_head = nn.Linear(c.text_dim, c.text_dim)
        self.pair_head = nn.Linear(c.q_dim, c.text_dim)  # item-item (co-liked) space
        for lin in (self.item_head, self.text_head):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.logit_scale = nn.Parameter(torch.tensor(2.996))  # log(1/0.05)
        # KECRS: infusion aligns W_align(u) with word embeddings; the result is also the <user> soft token.
        self.align = nn.Linear(c.user_dim, c.llm_hidden)
        self.infusion_bias = nn.Parameter(torch.zeros(c.vocab_size))
        # KECRS BOE: a_t = W[u; h_t] + b, p_t = softmax(a_t E^T + b_bag).
        self.boe_proj = nn.Linear(c.user_dim + c.llm_hidden, c.kg_dim)
        self.boe_bias = nn.Parameter(torch.zeros(c.n_entities))

    # ------------------------------------------------------------------ items
    def encode_items(self, kg, cf, text) -> torch.Tensor:
        """Q-Former outputs [B, K, q_dim]."""
        return self.encoder(kg, cf, text)

    def soft_tokens(self, kg, cf, text) -> torch.Tensor:
        """Soft tokens [B, K, llm_hidden] for items given their three vectors."""
        return self.projector(self.encode_items(kg, cf, text))

    def item_embedding(self, q: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Unit item vector in the item-text space (residual on the item's own text embedding)."""
        return F.normalize(text + self.item_head(q.mean(1)), dim=-1)

    def text_embedding(self, t: torch.Tensor) -> torch.Tensor:
        """Unit query vector in the item-text space (residual on the MiniLM embedding)."""
        return F.normalize(t + self.text_head(t), dim=-1)

    def pair_embedding(self, q: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.pair_head(q.mean(1)), dim=-1)

    # ------------------------------------------------------------------ KECRS heads
    def user_token(self, u: torch.Tensor) -> torch.Tensor:
        """W_align(u) [B, llm_hidden]."""
        return self.align(u)

    def infusion_scores(self, u: torch.Tensor, word_embeddings: torch.Tensor) -> torch.Tensor:
        """z = W_align(u) W_word^T + b  [B, vocab]."""
        return self.align(u) @ word_embeddings.T + self.infusion_bias[: word_embeddings.shape[0]]

    def boe_logits(self, u: torch.Tensor, h: torch.Tensor, entities: torch.Tensor) -> torch.Tensor:
        """a_t E^T + b_bag for hidden states h [B, T, H] (or [B, H]) and user vectors u [B, U]."""
        if h.dim() == 3:
            u = u.unsqueeze(1).expand(-1, h.shape[1], -1)
        a = self.boe_proj(torch.cat([u, h.to(u.dtype)], dim=-1))
        return a @ entities.T + self.boe_bias

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | Path, llm=None) -> None:
        """Write adapter_config.json + adapter_model.safetensors (and lora/ when the LLM is a peft model)."""
        path = save_pretrained_files(self, path, self.config.to_dict(), CONFIG_NAME, WEIGHTS_NAME)
        if self.config.lora and llm is not None and hasattr(llm, "peft_config"):
            llm.save_pretrained(str(path / LORA_DIR))

    @classmethod
    def from_pretrained(cls, path: str | Path, map_location: str = "cpu") -> ItemLanguageAdapter:
        config, state = load_pretrained_files(path, CONFIG_NAME, WEIGHTS_NAME, map_location,
                                              "not a saved item-language adapter (train one with "
                                              "`crs train ilm --stage 1/2 --config configs/ilm/...`)")
        model = cls(ILMConfig.from_dict(config))
        model.load_state_dict(state)
        return model.eval()


def is_adapter(path: str | Path | None) -> bool:
    return path is not None and (Path(path).expanduser() / CONFIG_NAME).exists()


def attach_lora(llm, config: ILMConfig, adapter_path: str | Path | None = None):
    """Wrap the LLM in a peft LoRA (new, or loaded from `adapter_path/lora`)."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if adapter_path is not None and (Path(adapter_path) / LORA_DIR).exists():
        return PeftModel.from_pretrained(llm, str(Path(adapter_path) / LORA_DIR))
    return get_peft_model(llm, LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                                          target_modules=list(config.lora_targets), lora_dropout=0.05))
