"""KECRS-style recommender: R-GCN entity embeddings, attention over the mentioned entities, a score per movie.

Optional signals: the dialogue text (all-MiniLM-L6-v2) and MovieLens collaborative item vectors.
Saved like a peft adapter: `config.json` + `model.safetensors` via save_pretrained/from_pretrained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from crs.config_utils import StrictConfig
from crs.pretrained import load_pretrained_files, save_pretrained_files
from kg.rgcn import RGCNEncoder

CONFIG_NAME, WEIGHTS_NAME = "config.json", "model.safetensors"


@dataclass
class KGRecConfig(StrictConfig):
    """Architecture of the KG recommender (the data sizes are checked when loading)."""

    n_entities: int = 15602
    n_relations: int = 16
    n_items: int = 6730
    dim: int = 128  # entity and user vector size
    n_bases: int = 8  # basis decomposition of the relation weights
    n_layers: int = 1
    entity_text: bool = True  # add projected MiniLM features of each entity's name / movie description
    use_text: bool = True  # add the dialogue text embedding to the user vector
    use_movielens: bool = True  # add MovieLens item vectors of the mentioned movies to the user vector
    text_dim: int = 384
    cf_dim: int = 64
    max_entities: int = 32  # most recent context entities attended over
    dropout: float = 0.1

    def __post_init__(self):
        if self.dim <= 0 or self.n_bases <= 0 or self.n_layers <= 0:
            raise ValueError("dim, n_bases and n_layers must be positive")


class KGRecModel(nn.Module):
    """scores[b, i] = u_b · e_{movie i} + bias_i, with u_b pooled from the user's context entities."""

    def __init__(self, config: KGRecConfig):
        super().__init__()
        c = self.config = config
        self.encoder = RGCNEncoder(c.n_entities, c.n_relations, c.dim, c.n_bases, c.n_layers,
                                   c.text_dim if c.entity_text else 0, c.dropout)
        self.null = nn.Parameter(torch.zeros(1, c.dim))  # always attended: users with no entities yet
        self.polarity = nn.Embedding(3, c.dim)  # neutral, liked, disliked
        nn.init.zeros_(self.polarity.weight)
        self.att_proj = nn.Linear(c.dim, c.dim)
        self.att_score = nn.Linear(c.dim, 1, bias=False)
        self.text_proj = nn.Linear(c.text_dim, c.dim) if c.use_text else None
        self.cf_proj = nn.Linear(c.cf_dim, c.dim) if c.use_movielens else None
        self.item_bias = nn.Parameter(torch.zeros(c.n_items))
        self._entity_cache: torch.Tensor | None = None

    def entity_matrix(self, adj: torch.Tensor, text_feats: torch.Tensor | None) -> torch.Tensor:
        """All entity embeddings [N, dim]; cached in eval mode since the graph is fixed."""
        if not self.training and self._entity_cache is not None:
            return self._entity_cache
        e = self.encoder(adj, text_feats if self.config.entity_text else None)
        if not self.training:
            self._entity_cache = e.detach()
        return e

    def train(self, mode: bool = True):
        self._entity_cache = None
        return super().train(mode)

    def _apply(self, fn, *args, **kwargs):  # .to(device) / .half(): the cached entity matrix is stale
        self._entity_cache = None
        return super()._apply(fn, *args, **kwargs)

    def user_vectors(self, ent: torch.Tensor, pol: torch.Tensor, mask: torch.Tensor, entities: torch.Tensor,
                     ctx_text: torch.Tensor | None = None, cf: torch.Tensor | None = None) -> torch.Tensor:
        """u [B, dim] from context entity ids [B, L] (with polarity ids and a validity mask)."""
        x = entities[ent.clamp(min=0)] + self.polarity(pol)
        x = torch.cat([self.null.expand(x.shape[0], 1, -1), x], dim=1)
        mask = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
        logits = self.att_score(torch.tanh(self.att_proj(x))).squeeze(-1).masked_fill(~mask, float("-inf"))
        u = (torch.softmax(logits, dim=-1).unsqueeze(-1) * x).sum(1)
        if self.text_proj is not None and ctx_text is not None:
            u = u + self.text_proj(ctx_text)
        if self.cf_proj is not None and cf is not None:
            u = u + self.cf_proj(cf)
        return u

    def forward(self, batch: dict, graph: dict) -> torch.Tensor:
        """Scores [B, n_items]; `graph` holds adj, text_feats and item_entities tensors."""
        entities = self.entity_matrix(graph["adj"], graph.get("text_feats"))
        u = self.user_vectors(batch["ent"], batch["pol"], batch["mask"], entities,
                              batch.get("text"), batch.get("cf"))
        items = entities[graph["item_entities"]]
        return u @ items.T + self.item_bias

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | Path) -> None:
        save_pretrained_files(self, path, asdict(self.config), CONFIG_NAME, WEIGHTS_NAME)

    @classmethod
    def from_pretrained(cls, path: str | Path, map_location: str = "cpu") -> KGRecModel:
        config, state = load_pretrained_files(path, CONFIG_NAME, WEIGHTS_NAME, map_location,
                                              "not a saved KG recommender (train one with "
                                              "`crs train rec --config configs/rec/default.yaml`)")
        model = cls(KGRecConfig.from_dict(config))
        model.load_state_dict(state)
        return model.eval()
